from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.filters import kuwahara

NODE = image_filter(
    "filter.dry_brush",
    "Dry Brush",
    "filter",
    "Painterly strokes from a generalised Kuwahara filter: flat areas become dabs of paint, "
    "edges stay crisp.",
    lambda rgb, p: kuwahara(rgb, p["brush_size"], p["detail"]),
    params=(
        Param("brush_size", ParamType.INT, 4, minimum=1, maximum=32, help="Stroke radius in px."),
        Param(
            "detail",
            ParamType.FLOAT,
            8.0,
            minimum=0.5,
            maximum=32.0,
            help="High keeps edges hard; low blends strokes softly.",
        ),
    ),
)
