import numpy as np

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Port, PortType


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    mask = inputs["mask"]
    return {"image": np.repeat(mask[..., None], 3, axis=2).astype(np.float32)}


NODE = NodeType(
    "mask.to_image",
    "Mask to Image",
    "mask",
    "Shows a mask as a greyscale image (white = revealed), to preview or save it.",
    run,
    inputs=(Port("mask", PortType.MASK),),
    outputs=(Port("image", PortType.IMAGE),),
)
