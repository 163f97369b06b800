from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import mask_filter
from stylegraph.nodes.functional.masks import levels

NODE = mask_filter(
    "mask.levels",
    "Mask Levels",
    "Maps [low, high] to [0, 1] with a gamma, to harden or soften a mask.",
    lambda mask, p: levels(mask, p["low"], p["high"], p["gamma"]),
    params=(
        Param("low", ParamType.FLOAT, 0.0, minimum=0.0, maximum=1.0),
        Param("high", ParamType.FLOAT, 1.0, minimum=0.0, maximum=1.0),
        Param("gamma", ParamType.FLOAT, 1.0, minimum=0.05, maximum=20.0),
    ),
)
