from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import fit_image, fit_mask
from stylegraph.nodes.functional.blend import MODES, composite, place

FITS = ("resize", "offset")


def fit_layer(ctx: NodeContext, top, base_shape, fit: str, x: int, y: int, what: str):
    """A layer of another size is resized to the base, or placed at an offset."""
    if fit == "offset":
        return place(top, base_shape[0], base_shape[1], x, y)
    return fit_image(ctx, top, base_shape, what)


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    base = inputs["base"]
    top = fit_layer(
        ctx,
        inputs["top"],
        base.shape,
        params["fit"],
        params["offset_x"],
        params["offset_y"],
        "the top layer",
    )
    mask = inputs.get("mask")
    if mask is not None:
        mask = fit_mask(ctx, mask, base.shape, "the mask")
    return {"image": composite(base, top, params["mode"], params["opacity"], mask)}


NODE = NodeType(
    "image.blend",
    "Blend",
    "compose",
    "Blends a top layer over a base with a blend mode, opacity and optional layer mask "
    "(W3C compositing and Photoshop modes; alpha composited source-over).",
    run,
    inputs=(
        Port("base", PortType.IMAGE),
        Port("top", PortType.IMAGE),
        Port("mask", PortType.MASK, "Reveals the top layer where white.", optional=True),
    ),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        Param("mode", ParamType.CHOICE, "normal", choices=MODES),
        Param("opacity", ParamType.FLOAT, 1.0, minimum=0.0, maximum=1.0),
        Param(
            "fit",
            ParamType.CHOICE,
            "resize",
            choices=FITS,
            help="A top layer of another size is resized to the base, or placed at the offset.",
        ),
        Param("offset_x", ParamType.INT, 0, minimum=-32768, maximum=32768),
        Param("offset_y", ParamType.INT, 0, minimum=-32768, maximum=32768),
    ),
)
