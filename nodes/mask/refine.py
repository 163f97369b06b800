from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import fit_mask
from stylegraph.nodes.functional.guided import refine_mask


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    guide = inputs["guide"]
    mask = fit_mask(ctx, inputs["mask"], guide.shape, "the mask")
    return {"mask": refine_mask(guide, mask, params["radius"], params["strength"])}


NODE = NodeType(
    "mask.refine",
    "Refine Mask Edges",
    "mask",
    "Snaps a mask's edges to the photo's: a guided filter with the photo as guide, so a "
    "painted, luminance or subject mask ends along the photo's edges instead of in a soft "
    "blob. The mask is resized to the photo's size first.",
    run,
    inputs=(
        Port("mask", PortType.MASK, "The mask to refine."),
        Port("guide", PortType.IMAGE, "The photo whose edges the mask should follow."),
    ),
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param(
            "radius",
            ParamType.INT,
            8,
            minimum=1,
            maximum=200,
            help="How far (px) an edge of the mask may move to meet one of the photo's.",
        ),
        Param(
            "strength",
            ParamType.FLOAT,
            1.0,
            minimum=0.0,
            maximum=1.0,
            help="0 leaves the mask as it is, 1 takes the refined mask; between, a mix.",
        ),
    ),
)
