from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.geometry import flip


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    return {"image": flip(inputs["image"], params["direction"] == "horizontal")}


NODE = NodeType(
    "image.flip",
    "Flip",
    "transform",
    "Mirrors the image left-right or top-bottom.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        Param("direction", ParamType.CHOICE, "horizontal", choices=("horizontal", "vertical")),
    ),
)
