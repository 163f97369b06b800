from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.filters import denoise

NODE = image_filter(
    "filter.denoise",
    "Denoise",
    "filter",
    "Non-local means denoising: removes grain and JPEG noise before faceting.",
    lambda rgb, p: denoise(rgb, p["strength"], p["colour_strength"], p["search_radius"]),
    params=(
        Param("strength", ParamType.FLOAT, 0.04, minimum=0.0, maximum=0.5),
        Param("colour_strength", ParamType.FLOAT, 0.04, minimum=0.0, maximum=0.5),
        Param(
            "search_radius",
            ParamType.INT,
            4,
            minimum=1,
            maximum=15,
            help="Larger finds more similar patches but is slower.",
        ),
    ),
)
