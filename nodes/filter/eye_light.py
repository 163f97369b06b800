from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.channels import on_rgb
from stylegraph.nodes.functional.eye_light import SIDES, eye_light
from stylegraph.nodes.functional.faces import find_faces


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    faces = find_faces(image)
    if not faces:
        ctx.warn(f"{ctx.node_id}: no face found in the photo; no eye-light added")
    elif params["faces"] == "largest":
        faces = faces[:1]
    size, strength, side = params["size"], params["strength"], params["side"]
    return {"image": on_rgb(lambda rgb: eye_light(rgb, faces, size, strength, side), image)}


NODE = NodeType(
    "filter.eye_light",
    "Eye-light",
    "filter",
    "A portrait's finishing touch: a small soft highlight (catchlight) on each iris, up "
    "and to the light's side of the pupil, screened on so it only brightens, kept inside "
    "the iris. Eyes are found by the face and iris models shipped with stylegraph. A "
    "photo with no face passes through unchanged, with a warning.",
    run,
    inputs=(Port("image", PortType.IMAGE, "The portrait."),),
    outputs=(Port("image", PortType.IMAGE, "The portrait with eye-lights."),),
    params=(
        Param(
            "size",
            ParamType.FLOAT,
            0.35,
            minimum=0.0,
            maximum=1.0,
            help="The highlight's radius as a share of the iris radius.",
        ),
        Param(
            "strength",
            ParamType.FLOAT,
            0.6,
            minimum=0.0,
            maximum=1.0,
            help="Its opacity at the centre: 0 none, 1 white.",
        ),
        Param(
            "side",
            ParamType.CHOICE,
            "left",
            choices=SIDES,
            help="Where the light comes from, as seen in the picture.",
        ),
        Param(
            "faces",
            ParamType.CHOICE,
            "all",
            choices=("all", "largest"),
            help="all: every face found; largest: the biggest face only.",
        ),
    ),
)
