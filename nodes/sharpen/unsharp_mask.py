from stylegraph.graph.spec import Param, ParamType
from stylegraph.nodes.declare import image_filter
from stylegraph.nodes.functional.sharpen import unsharp_mask

NODE = image_filter(
    "sharpen.unsharp_mask",
    "Unsharp Mask",
    "sharpen",
    "Photoshop's Unsharp Mask: amount (1.0 = 100 %), radius in px, threshold in 0..1 "
    "(levels / 255) below which differences are left alone.",
    lambda rgb, p: unsharp_mask(rgb, p["amount"], p["radius"], p["threshold"]),
    params=(
        Param("amount", ParamType.FLOAT, 1.0, minimum=0.0, maximum=5.0),
        Param("radius", ParamType.FLOAT, 1.0, minimum=0.1, maximum=250.0),
        Param("threshold", ParamType.FLOAT, 0.0, minimum=0.0, maximum=1.0),
    ),
)
