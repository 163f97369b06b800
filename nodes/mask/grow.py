from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import mask_filter
from stylegraph.nodes.functional.masks import grow

NODE = mask_filter(
    "mask.grow",
    "Grow / Shrink Mask",
    "Grows the revealed area by a number of px, or shrinks it for negative values.",
    lambda mask, p: grow(mask, p["pixels"]),
    params=(Param("pixels", ParamType.INT, 2, minimum=-200, maximum=200),),
)
