from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.channels import luminance
from stylegraph.nodes.functional.image_io import ImageReadError, read_image


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    if not params["path"]:
        raise NodeError("param 'path' is empty: choose a greyscale mask file")
    try:
        image = read_image(params["path"], params["max_megapixels"])
    except ImageReadError as exc:
        raise NodeError(str(exc)) from None
    return {"mask": luminance(image)}


NODE = NodeType(
    "mask.load",
    "Load Mask",
    "mask",
    "Reads a greyscale image file (e.g. a mask painted in Photoshop; 16-bit kept) as a mask; "
    "colour files are reduced to their luminance.",
    run,
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param("path", ParamType.FILE, ""),
        Param("max_megapixels", ParamType.FLOAT, 100.0, minimum=0.01, maximum=2000.0),
    ),
)
