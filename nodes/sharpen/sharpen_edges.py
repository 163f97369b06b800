from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.channels import with_alpha_of
from stylegraph.nodes.functional.sharpen import sharpen_edges


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    sharp, mask = sharpen_edges(
        image[..., :3],
        params["amount"],
        params["radius"],
        params["edge_low"],
        params["edge_high"],
        params["edge_blur"],
    )
    return {"image": with_alpha_of(sharp, image), "edges": mask}


NODE = NodeType(
    "sharpen.edges",
    "Sharpen Edges",
    "sharpen",
    "Unsharp mask applied only through a soft edge mask, so flat painted areas stay clean.",
    run,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("image", PortType.IMAGE), Port("edges", PortType.MASK, "The mask used.")),
    params=(
        Param("amount", ParamType.FLOAT, 1.5, minimum=0.0, maximum=5.0),
        Param("radius", ParamType.FLOAT, 1.0, minimum=0.1, maximum=50.0),
        Param("edge_low", ParamType.FLOAT, 0.04, minimum=0.0, maximum=2.0),
        Param("edge_high", ParamType.FLOAT, 0.15, minimum=0.0, maximum=2.0),
        Param("edge_blur", ParamType.FLOAT, 1.0, minimum=0.0, maximum=20.0),
    ),
)
