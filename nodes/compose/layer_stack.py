import re

from stylegraph.graph.context import NodeContext
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.compose.blend import fit_layer
from stylegraph.nodes.declare import fit_mask
from stylegraph.nodes.functional.blend import MODES, composite


def _layer_numbers(inputs: dict) -> list[int]:
    return sorted(int(m.group(1)) for k in inputs if (m := re.fullmatch(r"layer(\d+)", k)))


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    out = inputs["base"]
    modes, opacities = params["modes"], params["opacities"]
    numbers = _layer_numbers(inputs)
    for done, n in enumerate(numbers):
        ctx.progress(done / max(len(numbers), 1))
        mode = modes[n - 1] if n - 1 < len(modes) else "normal"
        opacity = opacities[n - 1] if n - 1 < len(opacities) else 1.0
        top = fit_layer(ctx, inputs[f"layer{n}"], out.shape, "resize", 0, 0, f"layer{n}")
        mask = inputs.get(f"mask{n}")
        if mask is not None:
            mask = fit_mask(ctx, mask, out.shape, f"mask{n}")
        out = composite(out, top, mode, opacity, mask)
    for key in inputs:
        match = re.fullmatch(r"mask(\d+)", key)
        if match and f"layer{match.group(1)}" not in inputs:
            ctx.warn(f"{key} has no layer{match.group(1)} to mask and was ignored")
    return {"image": out}


NODE = NodeType(
    "image.layer_stack",
    "Layer Stack",
    "compose",
    "A Photoshop layer stack in one node: a base and any number of layers (layer1, layer2, "
    "... bottom to top), each with its own blend mode, opacity and layer mask (mask1, "
    "mask2, ...). The core of the fusion technique.",
    run,
    inputs=(
        Port("base", PortType.IMAGE),
        Port("layer", PortType.IMAGE, "Layers, bottom to top.", variadic=True),
        Port("mask", PortType.MASK, "maskN reveals layerN where white.", variadic=True),
    ),
    outputs=(Port("image", PortType.IMAGE),),
    params=(
        Param(
            "modes",
            ParamType.CHOICE_LIST,
            [],
            choices=MODES,
            help="Blend mode of layer1, layer2, ...; missing entries are 'normal'.",
        ),
        Param(
            "opacities",
            ParamType.FLOAT_LIST,
            [],
            minimum=0.0,
            maximum=1.0,
            help="Opacity of layer1, layer2, ...; missing entries are 1.",
        ),
    ),
)
