from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.channels import with_alpha_of
from stylegraph.nodes.functional.colour import reinhard_transfer


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image, reference = inputs["image"], inputs["reference"]
    out = reinhard_transfer(image[..., :3], reference[..., :3], params["strength"])
    return {"image": with_alpha_of(out, image)}


NODE = NodeType(
    "colour.transfer",
    "Colour Transfer",
    "colour",
    "Gives the image the reference's colour mood (Reinhard: Lab means and spreads).",
    run,
    inputs=(Port("image", PortType.IMAGE), Port("reference", PortType.IMAGE)),
    outputs=(Port("image", PortType.IMAGE),),
    params=(Param("strength", ParamType.FLOAT, 1.0, minimum=0.0, maximum=1.0),),
)
