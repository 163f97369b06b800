import numpy as np

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.sky import sky_mask


def no_sky_warning(node_id: str) -> str:
    """The one line a run says when the photo shows no sky."""
    return f"{node_id}: no sky found in the photo; the sky mask is empty"


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    mask = sky_mask(image, params["feather"])
    if mask is None:
        ctx.warn(no_sky_warning(ctx.node_id))
        mask = np.zeros(image.shape[:2], np.float32)
    if params["select"] == "ground":
        mask = 1.0 - mask
    return {"mask": mask}


NODE = NodeType(
    "mask.sky",
    "Sky Mask",
    "mask",
    "The photo's sky as a soft mask, as Photoshop's Select Sky: day, dusk or night sky and "
    "its clouds, not the roofs, towers, trees or people in front "
    "(thin cables and twigs stay sky). Found from the smooth region that reaches the "
    "top of the picture, with no model and no download; its edge follows the photo's. "
    "A photo without sky gives an empty mask and a warning.",
    run,
    inputs=(Port("image", PortType.IMAGE, "The photo whose sky is wanted."),),
    outputs=(Port("mask", PortType.MASK, "White on the sky."),),
    params=(
        Param(
            "select",
            ParamType.CHOICE,
            "sky",
            choices=("sky", "ground"),
            help="sky: white on the sky; ground: white on everything else (the inverse).",
        ),
        Param(
            "feather",
            ParamType.FLOAT,
            0.1,
            minimum=0.0,
            maximum=1.0,
            help="0: an edge about a pixel wide that follows the photo's; 1: a soft edge "
            "a few percent of the picture wide.",
        ),
    ),
)
