from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.filters import gaussian_blur

NODE = image_filter(
    "filter.gaussian_blur",
    "Gaussian Blur",
    "filter",
    "Gaussian blur; radius is the standard deviation in px.",
    lambda rgb, p: gaussian_blur(rgb, p["radius"]),
    params=(Param("radius", ParamType.FLOAT, 2.0, minimum=0.0, maximum=250.0),),
)
