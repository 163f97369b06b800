from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.resize import METHODS, resize


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    height, width = inputs["reference"].shape[:2]
    return {"image": resize(inputs["image"], height, width, params["method"])}


NODE = NodeType(
    "image.match_size",
    "Match Size",
    "transform",
    "Resizes the image to exactly the size of the reference (e.g. a render back to the "
    "photo's size before blending).",
    run,
    inputs=(Port("image", PortType.IMAGE), Port("reference", PortType.IMAGE)),
    outputs=(Port("image", PortType.IMAGE),),
    params=(Param("method", ParamType.CHOICE, "lanczos", choices=METHODS),),
)
