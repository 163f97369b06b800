from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.paint import (
    ANCHORS,
    hint_masks,
    photo_hash,
    render_strokes,
    strokes_to_image,
)
from stylegraph.nodes.functional.subject import photo_subject_box, subject_mask


def foreign_photo_warning(node_id: str) -> str:
    """The one line a run says when image-anchored strokes meet another photo."""
    return (
        f"node {node_id!r} (mask.paint): its strokes were painted on another photo and keep "
        "their place in the frame, not on this photo's subject; anchor them to the subject "
        "to have them follow it"
    )


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    height, width = image.shape[:2]
    strokes = params["strokes"]
    if strokes and params["anchor"] == "subject":
        strokes = strokes_to_image(strokes, photo_subject_box(image))
    elif strokes and params["painted_on"] and photo_hash(image) != params["painted_on"]:
        ctx.warn(foreign_photo_warning(ctx.node_id))
    hints = hint_masks(strokes, height, width)
    start = None
    if hints is not None:
        keep, remove = hints
        start = subject_mask(image, keep=keep, remove=remove)
    return {"mask": render_strokes(strokes, height, width, params["base"], start)}


NODE = NodeType(
    "mask.paint",
    "Paint Mask",
    "mask",
    "A mask painted by hand in the editor's viewer over the linked image, as with a "
    "layer mask in Photoshop. The strokes are kept in the recipe in fractions of the "
    "image's size, so a new photo of another size gets the same painted shapes; anchored "
    "to the subject, in fractions of the subject's box, so they land on the same part of "
    "the subject of the next photo. Keep and remove strokes make a quick selection: they "
    "seed a cut of the photo that follows its edges, and paint and erase strokes then "
    "touch it up.",
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
            help="The mask before any stroke: 0 hides everything (Clear), 1 reveals (Fill). "
            "A quick selection's cut takes its place.",
        ),
        Param(
            "strokes",
            ParamType.STROKES,
            [],
            help="Painted strokes: points (fractions of the image's width and height, or "
            "of the subject's box), size (fraction of the image's longest side), hardness, "
            "opacity, mode (paint or erase; keep or remove for a quick selection).",
        ),
        Param(
            "anchor",
            ParamType.CHOICE,
            "image",
            choices=ANCHORS,
            help="image: strokes keep their place in the frame; subject: they keep their "
            "place on the subject found in the photo (Subject Mask), for recipes re-run on "
            "new photos.",
        ),
        Param(
            "painted_on",
            ParamType.TEXT,
            "",
            help="The content hash of the photo the strokes were painted on (the editor "
            "fills it); a run on another photo with image-anchored strokes says so.",
        ),
    ),
)
