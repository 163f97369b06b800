from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Port, PortType
from stylegraph.nodes.declare import fit_image
from stylegraph.nodes.functional.channels import with_alpha_of
from stylegraph.nodes.functional.colour import luminance_transfer


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    render = inputs["luminance"]
    photo = fit_image(ctx, inputs["colour"], render.shape, "the colour image")
    return {"image": with_alpha_of(luminance_transfer(photo[..., :3], render[..., :3]), render)}


NODE = NodeType(
    "colour.luminance_transfer",
    "Luminance Transfer",
    "colour",
    "Keeps the photo's colours and takes the render's luminance (Lab L): the painting's "
    "strokes in the photo's palette.",
    run,
    inputs=(
        Port("colour", PortType.IMAGE, "Where the colours come from (the photo)."),
        Port("luminance", PortType.IMAGE, "Where the light and strokes come from."),
    ),
    outputs=(Port("image", PortType.IMAGE),),
)
