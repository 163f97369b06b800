from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.masks import EDGE_METHODS, edges


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    mask = edges(
        inputs["image"],
        params["method"],
        params["low"],
        params["high"],
        params["blur"],
        params["soft"],
    )
    return {"mask": mask}


NODE = NodeType(
    "mask.edges",
    "Edge Mask",
    "mask",
    "Where the image has strong edges: Sobel magnitude (soft or thresholded) or Canny lines. "
    "Use it to sharpen only the edges, or to bring the photo's contours back.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param("method", ParamType.CHOICE, "sobel", choices=EDGE_METHODS),
        Param(
            "low",
            ParamType.FLOAT,
            0.04,
            minimum=0.0,
            maximum=2.0,
            help="Gradient (0..1 per px) where the mask starts.",
        ),
        Param(
            "high",
            ParamType.FLOAT,
            0.15,
            minimum=0.0,
            maximum=2.0,
            help="Gradient where the mask is full (Canny: the strong threshold).",
        ),
        Param(
            "blur",
            ParamType.FLOAT,
            1.0,
            minimum=0.0,
            maximum=20.0,
            help="Smoothing (px) before finding edges, to ignore grain.",
        ),
        Param("soft", ParamType.BOOL, True, help="Sobel only: a ramp instead of a threshold."),
    ),
)
