from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.declare import fit_mask
from stylegraph.nodes.functional.masks import COMBINE_OPS, combine


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    a = inputs["a"]
    b = fit_mask(ctx, inputs["b"], a.shape, "mask b")
    return {"mask": combine(a, b, params["operation"])}


NODE = NodeType(
    "mask.combine",
    "Combine Masks",
    "mask",
    "Adds, subtracts, multiplies, or takes the min, max or difference of two masks.",
    run,
    inputs=(Port("a", PortType.MASK), Port("b", PortType.MASK)),
    outputs=(Port("mask", PortType.MASK),),
    params=(Param("operation", ParamType.CHOICE, "max", choices=COMBINE_OPS),),
)
