from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Port, PortType
from stylegraph.nodes.functional.channels import with_alpha_of
from stylegraph.nodes.functional.colour import match_histograms


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    out = match_histograms(image[..., :3], inputs["reference"][..., :3])
    return {"image": with_alpha_of(out, image)}


NODE = NodeType(
    "colour.match_histogram",
    "Match Histogram",
    "colour",
    "Maps each channel's distribution onto the reference's.",
    run,
    inputs=(Port("image", PortType.IMAGE), Port("reference", PortType.IMAGE)),
    outputs=(Port("image", PortType.IMAGE),),
)
