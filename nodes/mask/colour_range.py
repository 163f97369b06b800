from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.masks import colour_range


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    mask = colour_range(
        inputs["image"],
        params["hue"],
        params["hue_width"],
        (params["saturation_min"], params["saturation_max"]),
        (params["value_min"], params["value_max"]),
        params["softness"],
    )
    return {"mask": mask}


NODE = NodeType(
    "mask.colour_range",
    "Mask from Colour Range",
    "mask",
    "Selects a range of hues (e.g. the sky's blues) within saturation and value limits.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param(
            "hue",
            ParamType.FLOAT,
            210.0,
            minimum=0.0,
            maximum=360.0,
            help="Centre hue in degrees (0 red, 120 green, 240 blue).",
        ),
        Param("hue_width", ParamType.FLOAT, 60.0, minimum=0.0, maximum=360.0),
        Param("saturation_min", ParamType.FLOAT, 0.15, minimum=0.0, maximum=1.0),
        Param("saturation_max", ParamType.FLOAT, 1.0, minimum=0.0, maximum=1.0),
        Param("value_min", ParamType.FLOAT, 0.0, minimum=0.0, maximum=1.0),
        Param("value_max", ParamType.FLOAT, 1.0, minimum=0.0, maximum=1.0),
        Param("softness", ParamType.FLOAT, 0.05, minimum=0.0, maximum=1.0),
    ),
)
