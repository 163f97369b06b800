from __future__ import annotations

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.image_io import ImageReadError, read_image


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    if not params["path"]:
        raise NodeError("param 'path' is empty: choose an image file")
    try:
        image = read_image(params["path"], params["max_megapixels"])
    except ImageReadError as exc:
        raise NodeError(str(exc)) from None
    height, width = image.shape[:2]
    return {"image": image, "width": float(width), "height": float(height), "path": params["path"]}


NODE = NodeType(
    type_id="image.load",
    display_name="Load Image",
    category="input/output",
    description="Reads a photo or painting (PNG, JPEG, TIFF, WebP, ...) with its EXIF "
    "orientation applied; greyscale, RGBA and 16-bit files are all read into RGB(A) 0..1.",
    run=run,
    outputs=(
        Port("image", PortType.IMAGE),
        Port("width", PortType.NUMBER),
        Port("height", PortType.NUMBER),
        Port("path", PortType.TEXT),
    ),
    params=(
        Param("path", ParamType.FILE, "", help="The image file to read."),
        Param(
            "max_megapixels",
            ParamType.FLOAT,
            100.0,
            minimum=0.01,
            maximum=2000.0,
            help="Refuse larger images instead of running out of memory.",
        ),
    ),
)
