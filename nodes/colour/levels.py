from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.colour import levels

NODE = image_filter(
    "colour.levels",
    "Levels",
    "colour",
    "Photoshop Levels: input black and white points, mid-tone gamma, output range.",
    lambda rgb, p: levels(
        rgb, p["in_black"], p["in_white"], p["gamma"], p["out_black"], p["out_white"]
    ),
    params=(
        Param("in_black", ParamType.FLOAT, 0.0, minimum=0.0, maximum=1.0),
        Param("in_white", ParamType.FLOAT, 1.0, minimum=0.0, maximum=1.0),
        Param("gamma", ParamType.FLOAT, 1.0, minimum=0.05, maximum=10.0),
        Param("out_black", ParamType.FLOAT, 0.0, minimum=0.0, maximum=1.0),
        Param("out_white", ParamType.FLOAT, 1.0, minimum=0.0, maximum=1.0),
    ),
)
