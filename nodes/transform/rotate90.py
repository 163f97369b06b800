from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.geometry import rotate90


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    return {"image": rotate90(inputs["image"], int(params["degrees"]))}


NODE = NodeType(
    "image.rotate90",
    "Rotate 90°",
    "transform",
    "Rotates clockwise by a multiple of 90°.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("image", PortType.IMAGE),),
    params=(Param("degrees", ParamType.CHOICE, "90", choices=("90", "180", "270")),),
)
