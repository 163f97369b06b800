from collections.abc import Mapping
from typing import Any

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.faces import PARTS, find_faces, parts_mask


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    height, width = image.shape[:2]
    parts = params["parts"]
    faces = find_faces(image)
    if not faces:
        ctx.warn(f"{ctx.node_id}: no face found in the photo; the face mask is empty")
    elif params["faces"] == "largest":
        faces = faces[:1]
    return {"mask": parts_mask(faces, parts, height, width, params["feather"])}


def parts_problems(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An empty parts list would make a mask of nothing: refused by validate, before a run."""
    if params["parts"]:
        return []
    return [("parts", f"choose at least one of {', '.join(PARTS)}")]


NODE = NodeType(
    "mask.face",
    "Face Parts Mask",
    "mask",
    "Parts of the faces in a photo as a mask: face, skin, eyes, irises, brows, lips, mouth, "
    "several at once, each following that face's own landmarks (MediaPipe's face "
    "detection, 468-point face mesh and iris models, shipped with stylegraph and run on "
    "the CPU: no download). For masking a sharpening or an eye-light to the eyes. A photo "
    "with no face gives an empty mask and a warning.",
    run,
    inputs=(Port("image", PortType.IMAGE, "The photo whose faces are wanted."),),
    outputs=(Port("mask", PortType.MASK, "White on the chosen parts."),),
    check_params=parts_problems,
    params=(
        Param(
            "parts",
            ParamType.CHOICE_LIST,
            ["eyes"],
            choices=PARTS,
            help="face: brow to chin, ear to ear; skin: the face without eyes, brows and "
            "mouth; eyes: between the lids; irises: the iris circles the lids leave; "
            "brows; lips: without the opening between them; mouth: the lips and the "
            "opening.",
        ),
        Param(
            "faces",
            ParamType.CHOICE,
            "all",
            choices=("all", "largest"),
            help="all: every face found; largest: the biggest face only (the sitter).",
        ),
        Param(
            "feather",
            ParamType.FLOAT,
            0.0,
            minimum=0.0,
            maximum=1.0,
            help="Softness of the edges as a share of each face's size: 0 hard "
            "(anti-aliased), 1 a blur a twentieth of the face wide.",
        ),
    ),
)
