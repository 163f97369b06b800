from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.filters import posterize

NODE = image_filter(
    "filter.posterize",
    "Posterize",
    "filter",
    "Rounds each channel to a few evenly spaced levels.",
    lambda rgb, p: posterize(rgb, p["levels"]),
    params=(Param("levels", ParamType.INT, 4, minimum=2, maximum=256),),
)
