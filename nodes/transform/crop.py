from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.geometry import crop


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    try:
        return {
            "image": crop(
                inputs["image"], params["x"], params["y"], params["width"], params["height"]
            )
        }
    except ValueError as exc:
        raise NodeError(f"params 'x', 'y', 'width', 'height': {exc}") from None


NODE = NodeType(
    "image.crop",
    "Crop",
    "transform",
    "Keeps the box at (x, y) of the given size, clamped to the image.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        Param("x", ParamType.INT, 0, minimum=0, maximum=65536),
        Param("y", ParamType.INT, 0, minimum=0, maximum=65536),
        Param("width", ParamType.INT, 512, minimum=1, maximum=65536),
        Param("height", ParamType.INT, 512, minimum=1, maximum=65536),
    ),
)
