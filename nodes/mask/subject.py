from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import fit_mask
from stylegraph.nodes.functional.subject import METHODS, select_subject


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    hints = {
        name: fit_mask(ctx, inputs[name], image.shape, f"the {name} hint")
        for name in ("keep", "remove")
        if name in inputs
    }
    notes: list[str] = []
    mask, _ = select_subject(
        image, params["method"], params["tightness"], params["feather"], **hints, warnings=notes
    )
    for note in notes:
        ctx.warn(f"{ctx.node_id}: {note}")
    if params["select"] == "background":
        mask = 1.0 - mask
    return {"mask": mask}


NODE = NodeType(
    "mask.subject",
    "Subject Mask",
    "mask",
    "The photo's main subject (a portrait's sitter, a still life's objects) as a soft mask, "
    "as Photoshop's Select Subject. Where the photo shows people (a face is found), "
    "MediaPipe's person model outlines them: hair, clothes, hands and what they hold. "
    "Otherwise U^2-Net-p, a network trained to find a photo's salient object, outlines "
    "the main object. Either way the edge is refined along the photo's. Models ship "
    "with stylegraph: no download, about a second or less on the CPU. Link painted keep "
    "or remove masks to correct it.",
    run,
    inputs=(
        Port("image", PortType.IMAGE, "The photo whose subject is wanted."),
        Port("keep", PortType.MASK, "Where white: surely part of the subject.", optional=True),
        Port("remove", PortType.MASK, "Where white: surely background.", optional=True),
    ),
    outputs=(Port("mask", PortType.MASK, "White on the subject."),),
    params=(
        Param(
            "select",
            ParamType.CHOICE,
            "subject",
            choices=("subject", "background"),
            help="subject: white on the subject; background: white around it (the inverse, "
            "as Photoshop's Select Subject then Inverse).",
        ),
        Param(
            "method",
            ParamType.CHOICE,
            "auto",
            choices=METHODS,
            help="auto: the person model when a face is found, else the object network (the "
            "colour method on a photo under 200 px, too small for the network); "
            "person: the person model always (someone seen from behind); object: the "
            "object network always (a subject beside a person); colour: colours of the "
            "middle set against the frame's, cut by GrabCut (no network).",
        ),
        Param(
            "tightness",
            ParamType.FLOAT,
            0.5,
            minimum=0.0,
            maximum=1.0,
            help="Colour method only: lower takes in more of what is only a little like the "
            "subject; higher less.",
        ),
        Param(
            "feather",
            ParamType.FLOAT,
            0.2,
            minimum=0.0,
            maximum=1.0,
            help="0: an edge about a pixel wide that follows the photo's; 1: a soft edge "
            "a few percent of the picture wide.",
        ),
    ),
    version=2,
)
