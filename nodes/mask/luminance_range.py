from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.masks import luminance_range


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    mask = luminance_range(inputs["image"], params["low"], params["high"], params["softness"])
    return {"mask": mask}


NODE = NodeType(
    "mask.luminance_range",
    "Mask from Luminance",
    "mask",
    "Selects pixels whose luminance lies in [low, high], with a soft fall-off.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param("low", ParamType.FLOAT, 0.5, minimum=0.0, maximum=1.0),
        Param("high", ParamType.FLOAT, 1.0, minimum=0.0, maximum=1.0),
        Param("softness", ParamType.FLOAT, 0.1, minimum=0.0, maximum=1.0),
    ),
)
