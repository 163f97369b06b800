from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import mask_filter
from stylegraph.nodes.functional.filters import gaussian_blur

NODE = mask_filter(
    "mask.feather",
    "Feather Mask",
    "Softens the mask's edges with a Gaussian blur.",
    lambda mask, p: gaussian_blur(mask, p["radius"]),
    params=(Param("radius", ParamType.FLOAT, 4.0, minimum=0.0, maximum=500.0),),
)
