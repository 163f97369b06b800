from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import read_image_param
from stylegraph.nodes.functional.channels import luminance


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    return {"mask": luminance(read_image_param(params, "a greyscale mask file"))}


NODE = NodeType(
    "mask.load",
    "Load Mask",
    "mask",
    "Reads a greyscale image file (e.g. a mask painted in Photoshop; 16-bit kept) as a mask; "
    "colour files are reduced to their luminance.",
    run,
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param("path", ParamType.FILE, "", required=True),
        Param("max_megapixels", ParamType.FLOAT, 100.0, minimum=0.01, maximum=2000.0),
    ),
)
