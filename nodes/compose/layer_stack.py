from stylegraph.graph.context import NodeContext
from stylegraph.graph.layers import Layer, LayerStack
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.compose.blend import fit_layer
from stylegraph.nodes.declare import fit_mask
from stylegraph.nodes.functional.blend import MODES
from stylegraph.nodes.functional.stack import entry, numbered, over, settings

VISIBILITY = ("visible", "hidden")


def layer_names(ports: list[str], sources: dict, names: list[str]) -> list[str]:
    """A name per port, bottom to top: the ``names`` param where given, else the id of the
    node feeding the port (what the artist called it in the graph), else "Layer N". A
    name used twice gets a number, since a painter tells layers apart by name."""
    fallback = ["Base"] + [f"Layer {n}" for n in range(1, len(ports))]
    wanted = [
        entry(names, i, "").strip() or sources.get(port) or fallback[i]
        for i, port in enumerate(ports)
    ]
    out: list[str] = []
    for name in wanted:
        unique, n = name, 2
        while unique in out:
            unique, n = f"{name} {n}", n + 1
        out.append(unique)
    return out


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    out = inputs["base"]
    numbers = numbered(inputs)
    names = layer_names(
        ["base"] + [f"layer{n}" for n in numbers], dict(ctx.sources), params["names"]
    )
    layers = [Layer(names[0], inputs["base"])]
    for done, n in enumerate(numbers):
        ctx.progress(done / max(len(numbers), 1))
        layer = settings(params, n)
        top = fit_layer(ctx, inputs[f"layer{n}"], out.shape, "resize", 0, 0, f"layer{n}")
        mask = inputs.get(f"mask{n}")
        if mask is not None:
            mask = fit_mask(ctx, mask, out.shape, f"mask{n}")
        layers.append(Layer(names[done + 1], top, layer.mode, layer.opacity, layer.visible, mask))
        out = over(out, layers[-1])
    for n in numbered(inputs, "mask"):
        if f"layer{n}" not in inputs:
            ctx.warn(f"mask{n} has no layer{n} to mask and was ignored")
    return {"image": out, "layers": LayerStack(tuple(layers), out)}


NODE = NodeType(
    "image.layer_stack",
    "Layer Stack",
    "compose",
    "A Photoshop layer stack in one node: a base and any number of layers (layer1, layer2, "
    "... bottom to top), each with its own blend mode, opacity, visibility and layer mask "
    "(mask1, mask2, ...). The core of the fusion technique. 'layers' keeps them apart for "
    "Export Layers (PSD, OpenRaster), to finish by hand.",
    run,
    inputs=(
        Port("base", PortType.IMAGE),
        Port("layer", PortType.IMAGE, "Layers, bottom to top.", variadic=True),
        Port("mask", PortType.MASK, "maskN reveals layerN where white.", variadic=True),
    ),
    outputs=(
        Port("image", PortType.IMAGE, "The flattened stack."),
        Port("layers", PortType.LAYERS, "The layers kept apart, for Export Layers."),
    ),
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
        Param(
            "visibility",
            ParamType.CHOICE_LIST,
            [],
            choices=VISIBILITY,
            help="'visible' or 'hidden' for layer1, layer2, ...; a hidden layer is left out "
            "of the image but kept, hidden, in exported layers. Missing entries are visible.",
        ),
        Param(
            "names",
            ParamType.TEXT_LIST,
            [],
            help="Layer names for export, bottom to top starting with the base; missing or "
            "empty entries take the id of the node feeding the layer.",
        ),
    ),
    sees_sources=True,
)
