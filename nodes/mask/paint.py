from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.paint import render_strokes


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    height, width = inputs["image"].shape[:2]
    return {"mask": render_strokes(params["strokes"], height, width, params["base"])}


NODE = NodeType(
    "mask.paint",
    "Paint Mask",
    "mask",
    "A mask painted by hand in the editor's viewer over the linked image, as with a "
    "layer mask in Photoshop. The strokes are kept in the recipe in fractions of the "
    "image's size, so a new photo of another size gets the same painted shapes.",
    run,
    inputs=(Port("image", PortType.IMAGE, "The picture painted over; sets the mask's size."),),
    outputs=(Port("mask", PortType.MASK),),
    params=(
        Param(
            "base",
            ParamType.FLOAT,
            0.0,
            minimum=0.0,
            maximum=1.0,
            help="The mask before any stroke: 0 hides everything (Clear), 1 reveals (Fill).",
        ),
        Param(
            "strokes",
            ParamType.STROKES,
            [],
            help="Painted strokes: points (fractions of width and height), size (fraction of "
            "the longest side), hardness, opacity, mode (paint or erase).",
        ),
    ),
)
