from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import fit_mask
from stylegraph.nodes.functional.subject import subject_mask


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    hints = {
        name: fit_mask(ctx, inputs[name], image.shape, f"the {name} hint")
        for name in ("keep", "remove")
        if name in inputs
    }
    mask = subject_mask(image, params["tightness"], params["feather"], **hints)
    if params["select"] == "background":
        mask = 1.0 - mask
    return {"mask": mask}


NODE = NodeType(
    "mask.subject",
    "Subject Mask",
    "mask",
    "The photo's main subject (a portrait's sitter, a still life's objects) as a soft mask, "
    "found on the photo itself: colours of the middle set against those along the frame "
    "seed OpenCV's GrabCut, and the cut is refined along the photo's edges. No download, "
    "under a second on the CPU. Link painted keep or remove masks to correct it.",
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
            "tightness",
            ParamType.FLOAT,
            0.5,
            minimum=0.0,
            maximum=1.0,
            help="Lower takes in more of what is only a little like the subject; higher less.",
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
)
