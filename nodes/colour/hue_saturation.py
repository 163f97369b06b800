from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.colour import hue_saturation

NODE = image_filter(
    "colour.hue_saturation",
    "Hue / Saturation",
    "colour",
    "Rotates hue (degrees), scales saturation, and lightens towards white or darkens "
    "towards black.",
    lambda rgb, p: hue_saturation(rgb, p["hue"], p["saturation"], p["lightness"]),
    params=(
        Param("hue", ParamType.FLOAT, 0.0, minimum=-180.0, maximum=180.0),
        Param("saturation", ParamType.FLOAT, 0.0, minimum=-1.0, maximum=3.0),
        Param("lightness", ParamType.FLOAT, 0.0, minimum=-1.0, maximum=1.0),
    ),
)
