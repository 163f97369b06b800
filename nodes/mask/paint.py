import numpy as np

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.anchors import REGIONS, region_box, region_mask
from stylegraph.nodes.functional.paint import (
    ANCHORS,
    hint_masks,
    photo_hash,
    render_strokes,
    strokes_to_image,
)
from stylegraph.nodes.functional.quick_selection import quick_select


def foreign_photo_warning(node_id: str, painted_in: str = "") -> str:
    """The one line a run says when image-anchored strokes meet another photo: which
    anchor would keep what they meant, when the editor noted the region they were
    painted in (``painted_in``)."""
    start = (
        f"node {node_id!r} (mask.paint): its strokes were painted on another photo and keep "
        "their place in the frame, whatever this photo shows there; "
    )
    if painted_in:
        return start + (
            f"they were painted in the {painted_in}: anchor them to {painted_in} to have "
            f"them paint this photo's {painted_in}"
        )
    return start + (
        f"anchor them to the region they were meant for ({', '.join(REGIONS)}) to keep "
        "their meaning"
    )


def no_region_warning(node_id: str, anchor: str) -> str:
    """The one line a run says when the region strokes are anchored to is not found."""
    return (
        f"node {node_id!r} (mask.paint): no {anchor} found in this photo; its "
        f"{anchor}-anchored strokes paint nothing"
    )


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    height, width = image.shape[:2]
    strokes = params["strokes"]
    anchor = params["anchor"]
    region = None
    if anchor != "image" and (strokes or params["base"] > 0):
        region = region_mask(image, anchor)
        if region is None:
            if strokes:  # a fill alone means "the region, if any": an empty mask says it
                ctx.warn(no_region_warning(ctx.node_id, anchor))
            region = np.zeros((height, width), np.float32)
        strokes = strokes_to_image(strokes, region_box(region))
    elif strokes and params["painted_on"] and photo_hash(image) != params["painted_on"]:
        ctx.warn(foreign_photo_warning(ctx.node_id, params["painted_in"]))
    hints = hint_masks(strokes, height, width)
    start = None
    if hints is not None:
        start = quick_select(image, *hints)
    mask = render_strokes(strokes, height, width, params["base"], start)
    if region is not None:
        mask = mask * region
    return {"mask": mask.astype(np.float32)}


NODE = NodeType(
    "mask.paint",
    "Paint Mask",
    "mask",
    "A mask painted by hand in the editor's viewer over the linked image, as with a "
    "layer mask in Photoshop. The strokes are kept in the recipe in fractions of the "
    "image's size, so a new photo of another size gets the same painted shapes. Anchored "
    "to a region found on each photo (subject, person, face, sky or background), they are "
    "kept in fractions of that region's box and clipped to it, so paint meant for the sky "
    "lands on the next photo's sky. Keep and remove strokes make a quick selection, as "
    "Photoshop's Quick Selection: a cut of the photo along its edges, seeded by those "
    "strokes alone; paint and erase strokes then touch it up.",
    run,
    inputs=(Port("image", PortType.IMAGE, "The picture painted over; sets the mask's size."),),
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param(
            "base",
            ParamType.FLOAT,
            0.0,
            minimum=0.0,
            maximum=1.0,
            help="The mask before any stroke: 0 hides everything (Clear), 1 reveals (Fill; "
            "with an anchor, the whole region). A quick selection's cut takes its place.",
        ),
        Param(
            "strokes",
            ParamType.STROKES,
            [],
            help="Painted strokes: points (fractions of the image's width and height, or "
            "of the anchor region's box), size (fraction of the image's longest side), "
            "hardness, opacity, mode (paint or erase; keep or remove for a quick selection).",
        ),
        Param(
            "anchor",
            ParamType.CHOICE,
            "image",
            choices=ANCHORS,
            help="image: strokes keep their place in the frame; subject, person, face, sky, "
            "background: they keep their place in that region as found on each photo and "
            "paint only inside it, for recipes re-run on new photos.",
        ),
        Param(
            "painted_on",
            ParamType.TEXT,
            "",
            help="The content hash of the photo the strokes were painted on (the editor "
            "fills it); a run on another photo with image-anchored strokes says so.",
        ),
        Param(
            "painted_in",
            ParamType.TEXT,
            "",
            help="The region the image-anchored strokes were painted in on that photo "
            "(sky, face, subject or background; the editor fills it), so the warning on "
            "another photo can name the anchor that keeps their meaning.",
        ),
    ),
    version=2,
)
