from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.filters import facet

NODE = image_filter(
    "filter.facet",
    "Facet",
    "filter",
    "Flattens neighbouring pixels of similar colour into solid patches (mean-shift "
    "filtering), keeping the edges between them: the base of a painterly layer.",
    lambda rgb, p: facet(rgb, p["spatial_radius"], p["colour_radius"], p["pyramid_levels"]),
    params=(
        Param(
            "spatial_radius",
            ParamType.INT,
            6,
            minimum=1,
            maximum=64,
            help="How far (px) a patch reaches.",
        ),
        Param(
            "colour_radius",
            ParamType.FLOAT,
            0.12,
            minimum=0.01,
            maximum=1.0,
            help="How different (0..1) colours may be and still merge.",
        ),
        Param(
            "pyramid_levels",
            ParamType.INT,
            1,
            minimum=1,
            maximum=4,
            help="Work on a pyramid for speed on big images (1 = full resolution only).",
        ),
    ),
)
