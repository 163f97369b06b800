from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.filters import median

NODE = image_filter(
    "filter.median",
    "Median",
    "filter",
    "Median filter: removes speckles, rounds small shapes.",
    lambda rgb, p: median(rgb, p["radius"]),
    params=(Param("radius", ParamType.INT, 2, minimum=1, maximum=50),),
)
