from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.filters import palette_quantize

NODE = image_filter(
    "filter.palette",
    "Palette Quantise",
    "filter",
    "Reduces the image to its k most representative colours (k-means in Lab).",
    lambda rgb, p: palette_quantize(rgb, p["colours"], p["seed"]),
    params=(
        Param("colours", ParamType.INT, 8, minimum=2, maximum=256),
        Param("seed", ParamType.INT, 0, minimum=0, maximum=2**31 - 1),
    ),
)
