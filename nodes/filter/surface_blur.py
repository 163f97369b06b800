from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.filters import surface_blur

NODE = image_filter(
    "filter.surface_blur",
    "Surface Blur",
    "filter",
    "Bilateral blur: smooths skin and sky but not across edges.",
    lambda rgb, p: surface_blur(rgb, p["radius"], p["threshold"]),
    params=(
        Param("radius", ParamType.INT, 5, minimum=1, maximum=50),
        Param("threshold", ParamType.FLOAT, 0.1, minimum=0.001, maximum=1.0),
    ),
)
