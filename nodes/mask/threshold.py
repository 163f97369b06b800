from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import mask_filter
from stylegraph.nodes.functional.masks import threshold

NODE = mask_filter(
    "mask.threshold",
    "Mask Threshold",
    "1 where the mask is at least the level, else 0.",
    lambda mask, p: threshold(mask, p["level"]),
    params=(Param("level", ParamType.FLOAT, 0.5, minimum=0.0, maximum=1.0),),
)
