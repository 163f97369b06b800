from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.masks import SHAPES, shape


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    if "size_of" in inputs:
        height, width = inputs["size_of"].shape[:2]
    else:
        height, width = params["height"], params["width"]
    box = (params["x"], params["y"], params["w"], params["h"])
    try:
        mask = shape(height, width, params["shape"], box, params["points"], params["feather"])
    except ValueError as exc:  # a polygon without its points
        raise NodeError(f"params 'shape', 'points': {exc}") from None
    return {"mask": mask}


NODE = NodeType(
    "mask.shape",
    "Mask from Shape",
    "mask",
    "A rectangle, ellipse or polygon, feathered. Coordinates are fractions (0..1) of the "
    "image's width and height, so one preset fits photos of any size.",
    run,
    inputs=(Port("size_of", PortType.IMAGE, "Takes its size from this image.", optional=True),),
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param("shape", ParamType.CHOICE, "ellipse", choices=SHAPES),
        Param("x", ParamType.FLOAT, 0.25, minimum=-1.0, maximum=2.0),
        Param("y", ParamType.FLOAT, 0.25, minimum=-1.0, maximum=2.0),
        Param("w", ParamType.FLOAT, 0.5, minimum=0.0, maximum=3.0),
        Param("h", ParamType.FLOAT, 0.5, minimum=0.0, maximum=3.0),
        Param("points", ParamType.POINT_LIST, [], help="Polygon corners as [x, y] fractions."),
        Param(
            "feather",
            ParamType.FLOAT,
            0.0,
            minimum=0.0,
            maximum=500.0,
            help="Gaussian softening of the edge, in px.",
        ),
        Param(
            "width",
            ParamType.INT,
            512,
            minimum=1,
            maximum=32768,
            help="Used when no size_of image is linked.",
        ),
        Param("height", ParamType.INT, 512, minimum=1, maximum=32768),
    ),
)
