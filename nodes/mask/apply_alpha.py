import numpy as np

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Port, PortType
from stylegraph.nodes.declare import fit_mask


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    mask = fit_mask(ctx, inputs["mask"], image.shape, "the mask")
    alpha = mask if image.shape[2] == 3 else mask * image[..., 3]
    return {"image": np.concatenate([image[..., :3], alpha[..., None]], axis=2)}


NODE = NodeType(
    "mask.apply_alpha",
    "Image from Mask",
    "mask",
    "Cuts the image out through the mask: the mask becomes (or multiplies) its alpha.",
    run,
    inputs=(Port("image", PortType.IMAGE), Port("mask", PortType.MASK)),
    outputs=(Port("image", PortType.IMAGE),),
)
