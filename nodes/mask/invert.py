from stylegraph.nodes.declare import mask_filter
from stylegraph.nodes.functional.masks import invert

NODE = mask_filter(
    "mask.invert", "Invert Mask", "1 - mask: hide what was revealed.", lambda mask, p: invert(mask)
)
