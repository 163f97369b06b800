from __future__ import annotations

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import read_image_param


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = read_image_param(params, "an image file")
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
        Param("path", ParamType.FILE, "", help="The image file to read.", required=True),
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
