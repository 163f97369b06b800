from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.sharpen import high_pass

NODE = image_filter(
    "sharpen.high_pass",
    "High Pass",
    "sharpen",
    "Grey where flat, detail elsewhere: blend it in overlay or soft-light mode to sharpen.",
    lambda rgb, p: high_pass(rgb, p["radius"]),
    params=(Param("radius", ParamType.FLOAT, 3.0, minimum=0.1, maximum=250.0),),
)
