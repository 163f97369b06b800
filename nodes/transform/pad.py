from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.geometry import PAD_MODES, pad


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    colour = tuple(params["colour"])
    out = pad(
        inputs["image"],
        params["top"],
        params["bottom"],
        params["left"],
        params["right"],
        params["mode"],
        colour,
    )
    return {"image": out}


def _sides() -> tuple[Param, ...]:
    return tuple(
        Param(side, ParamType.INT, 0, minimum=0, maximum=16384)
        for side in ("top", "bottom", "left", "right")
    )


NODE = NodeType(
    "image.pad",
    "Pad",
    "transform",
    "Adds a border: transparent, a flat colour, the edge pixels repeated, or mirrored.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        *_sides(),
        Param("mode", ParamType.CHOICE, "transparent", choices=PAD_MODES),
        Param(
            "colour",
            ParamType.FLOAT_LIST,
            [1.0, 1.0, 1.0],
            minimum=0.0,
            maximum=1.0,
            help="RGB 0..1 for mode 'colour'.",
        ),
    ),
)
