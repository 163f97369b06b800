from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.colour import brightness_contrast

NODE = image_filter(
    "colour.brightness_contrast",
    "Brightness / Contrast",
    "colour",
    "Contrast scales around mid-grey by (1 + contrast); brightness adds.",
    lambda rgb, p: brightness_contrast(rgb, p["brightness"], p["contrast"]),
    params=(
        Param("brightness", ParamType.FLOAT, 0.0, minimum=-1.0, maximum=1.0),
        Param("contrast", ParamType.FLOAT, 0.0, minimum=-1.0, maximum=3.0),
    ),
)
