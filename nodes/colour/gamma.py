from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.colour import gamma

NODE = image_filter(
    "colour.gamma",
    "Gamma",
    "colour",
    "x ^ (1 / gamma): above 1 brightens the mid-tones, below 1 darkens them.",
    lambda rgb, p: gamma(rgb, p["gamma"]),
    params=(Param("gamma", ParamType.FLOAT, 1.0, minimum=0.05, maximum=10.0),),
)
