from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.masks import CHANNELS, from_channel


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    return {"mask": from_channel(inputs["image"], params["channel"])}


NODE = NodeType(
    "mask.from_channel",
    "Mask from Channel",
    "mask",
    "Takes an image's alpha, one colour channel or its luminance as a mask.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("mask", PortType.MASK),),
    params=(Param("channel", ParamType.CHOICE, "alpha", choices=CHANNELS),),
)
