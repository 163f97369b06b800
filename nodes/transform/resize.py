from __future__ import annotations

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.resize import METHODS, fit_longest_side, resize


def target_size(height: int, width: int, params: dict) -> tuple[int, int]:
    mode = params["mode"]
    if mode == "longest_side":
        return fit_longest_side(height, width, params["longest_side"])
    if mode == "scale":
        factor = params["scale"]
        return max(1, round(height * factor)), max(1, round(width * factor))
    return params["height"], params["width"]


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    height, width = target_size(image.shape[0], image.shape[1], params)
    return {"image": resize(image, height, width, params["method"])}


NODE = NodeType(
    type_id="image.resize",
    display_name="Resize",
    category="transform",
    description="Scales to a longest side in px (e.g. 500 px before style transfer), by a "
    "factor, or to an exact size.",
    run=run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        Param("mode", ParamType.CHOICE, "longest_side", choices=("longest_side", "scale", "exact")),
        Param("longest_side", ParamType.INT, 500, minimum=1, maximum=32768),
        Param("scale", ParamType.FLOAT, 1.0, minimum=0.001, maximum=64.0),
        Param("width", ParamType.INT, 512, minimum=1, maximum=32768),
        Param("height", ParamType.INT, 512, minimum=1, maximum=32768),
        Param(
            "method",
            ParamType.CHOICE,
            "lanczos",
            choices=METHODS,
            help="Lanczos is sharpest; area is best for large reductions.",
        ),
    ),
)
