"""A Layer Stack node seen as a paint program's layers: rows, and edits of them as undoable
commands on the graph.

The graph stays the one truth. A layer is the stack's ``layerN`` input with its ``maskN``
and its entries in the ``modes``, ``opacities``, ``visibility`` and ``names`` lists; every
change here (add a painting as a masked layer, remove, reorder, show, solo, opacity, blend
mode, what a layer's mask is) is one command that the controller records, so one undo puts
the graph back exactly. Nothing here imports Dear PyGui: the panel (``layers_panel``) is a
view over these rows.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stylegraph.graph.model import Graph, GraphError, Link, fresh_id
from stylegraph.graph.preset import Preset
from stylegraph.nodes.functional.faces import PARTS
from stylegraph.nodes.functional.stack import DEFAULTS, LAYER_LISTS, entry, numbered, settings
from stylegraph.ui import layout
from stylegraph.ui.commands import AddNodes, Command, DeleteNodes, NodeSpec

if TYPE_CHECKING:
    from stylegraph.ui.controller import Controller

STACK_TYPE = "image.layer_stack"
STYLE_TYPE = "style.transfer"
PAINT_TYPE = "mask.paint"
LOAD_TYPE = "image.load"
DETAIL_PREFIXES = ("sharpen.",)  # node types whose layers are detail, kept on top
SUBJECT_TYPE = "mask.subject"
FACE_TYPE = "mask.face"
# What a layer's mask can be, as the Layers panel offers it: painted by hand, the photo's
# subject, its people, or a part of its faces.
MASK_SOURCES = ("painting", "subject", "person", *PARTS)


@dataclass(frozen=True)
class LayerRow:
    """One layer of a stack as the panel shows it (``number``: its N in layerN)."""

    number: int
    source: str | None  # the node feeding layerN
    mask: str | None  # the node feeding maskN
    name: str
    mode: str
    opacity: float
    visible: bool


def layer_numbers(graph: Graph, stack_id: str, prefix: str = "layer") -> list[int]:
    """The stack's layer (or mask) numbers, bottom first, as its node composites them."""
    return numbered(graph.input_links(stack_id), prefix)


def rows(graph: Graph, stack_id: str) -> list[LayerRow]:
    """The stack's layers, top first (as a paint program lists them); the base is not a
    row: it is what the layers are painted over."""
    params = graph.node(stack_id).params
    links = graph.input_links(stack_id)
    out = []
    for n in layer_numbers(graph, stack_id, "layer"):
        source = links[f"layer{n}"].src
        mask = links.get(f"mask{n}")
        name = entry(params.get("names", []), n, "").strip() or source
        layer = settings(params, n)
        out.append(
            LayerRow(
                n,
                source,
                mask.src if mask else None,
                name,
                layer.mode,
                layer.opacity,
                layer.visible,
            )
        )
    return out[::-1]


def stack_of(graph: Graph, node_id: str | None) -> str | None:
    """The Layer Stack that ``node_id`` is, or feeds directly (a layer's render or mask):
    the stack whose layers the panel shows while that node is selected."""
    if node_id is None or node_id not in graph:
        return None
    if graph.node(node_id).type_id == STACK_TYPE:
        return node_id
    for dst in graph.nx.succ[node_id]:
        if graph.node(dst).type_id == STACK_TYPE:
            return dst
    return None


def mask_target(graph: Graph, paint_id: str) -> tuple[str, int] | None:
    """The stack and layer number whose mask ``paint_id`` is, if it is one."""
    for link in graph.links():
        if link.src == paint_id and graph.node(link.dst).type_id == STACK_TYPE:
            match = re.fullmatch(r"mask(\d+)", link.dst_port)
            if match:
                return link.dst, int(match.group(1))
    return None


def mask_source(graph: Graph, node_id: str | None) -> str | None:
    """Which of ``MASK_SOURCES`` the mask node ``node_id`` is, or None (another kind of
    mask: a luminance range, the sharpened photo's edges)."""
    if node_id is None:
        return None
    node = graph.node(node_id)
    if node.type_id == PAINT_TYPE:
        return "painting"
    if node.type_id == SUBJECT_TYPE and node.params.get("select") == "subject":
        return "person" if node.params.get("method") == "person" else "subject"
    if node.type_id == FACE_TYPE and len(node.params.get("parts", [])) == 1:
        return node.params["parts"][0]
    return None


def _mask_spec(source: str) -> tuple[str, dict[str, Any]]:
    """The node type and params that make a mask of ``source``."""
    if source == "painting":
        return PAINT_TYPE, {"base": 0.0}
    if source == "subject":
        return SUBJECT_TYPE, {}
    if source == "person":
        return SUBJECT_TYPE, {"method": "person"}
    if source in PARTS:
        return FACE_TYPE, {"parts": [source], "feather": 0.2}
    raise GraphError(f"a layer's mask can be {', '.join(MASK_SOURCES)}; not {source!r}")


def photo_of(graph: Graph, stack_id: str) -> tuple[str, str]:
    """Where a new style layer takes its photo from: what an existing style render of the
    stack renders (in ``fusion`` the shrunk photo), else the photo loaded upstream of the
    stack; a stack with neither gets a clear refusal."""
    links = graph.input_links(stack_id)
    for n in layer_numbers(graph, stack_id, "layer"):
        source = links[f"layer{n}"].src
        if graph.node(source).type_id == STYLE_TYPE:
            content = graph.input_link(source, "content")
            if content is not None:
                return content.src, content.src_port
    loads = [n for n in graph.upstream([stack_id]) if graph.node(n).type_id == LOAD_TYPE]
    if loads:
        return sorted(loads)[0], "image"
    raise GraphError(f"{stack_id} has no photo upstream to render a painting of: link one first")


class Steps:
    """Commands applied one after the other as ONE undo step. Built by ``build``, which
    makes each step against the graph its predecessors left (so a delete after a relink
    captures the links as they then are) and leaves the preset as it found it."""

    def __init__(self, label: str, steps: list[Command]) -> None:
        self.label = label
        self.steps = steps

    @classmethod
    def build(
        cls, label: str, preset: Preset, makers: list[Callable[[Preset], Command | None]]
    ) -> Steps:
        done: list[Command] = []
        try:
            for make in makers:
                step = make(preset)
                if step is not None:
                    step.do(preset)
                    done.append(step)
        finally:
            for step in reversed(done):
                step.undo(preset)
        return cls(label, done)

    def do(self, preset: Preset) -> None:
        for step in self.steps:
            step.do(preset)

    def undo(self, preset: Preset) -> None:
        for step in reversed(self.steps):
            step.undo(preset)

    def touched(self) -> frozenset[str]:
        return frozenset().union(*(step.touched() for step in self.steps))


@dataclass
class Relink:
    """Replaces some of a node's input links and params at once (a reorder, a removal's
    renumbering); undo puts the old links and values back exactly."""

    node_id: str
    old_links: list[Link]
    new_links: list[Link]
    old_params: dict[str, Any]
    new_params: dict[str, Any]
    label: str = "relink"

    def _swap(self, preset: Preset, gone: list[Link], come: list[Link], params: dict) -> None:
        graph = preset.graph
        for link in gone:
            graph.disconnect(link.dst, link.dst_port)
        for link in come:
            graph.add_link_unchecked(link)
        for name, value in params.items():
            graph.restore_param(self.node_id, name, copy.deepcopy(value))

    def do(self, preset: Preset) -> None:
        self._swap(preset, self.old_links, self.new_links, self.new_params)

    def undo(self, preset: Preset) -> None:
        self._swap(preset, self.new_links, self.old_links, self.old_params)

    def touched(self) -> frozenset[str]:
        ends = {lk.src for lk in self.old_links + self.new_links}
        return frozenset({self.node_id, *ends})


def _set_lists(preset: Preset, stack_id: str, new: dict[str, list]) -> Relink | None:
    params = preset.graph.node(stack_id).params
    changed = {k: v for k, v in new.items() if params.get(k) != v}
    if not changed:
        return None
    old = {k: copy.deepcopy(params.get(k)) for k in changed}
    return Relink(stack_id, [], [], old, copy.deepcopy(changed))


def _with_entry(values: list, index: int, value: Any, default: Any) -> list:
    out = list(values) + [default] * (index + 1 - len(values))
    out[index] = value
    return out


class Layers:
    """The layer edits of one controller, each one undo step."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller

    @property
    def preset(self) -> Preset:
        return self.controller.preset

    def _stack(self, stack_id: str) -> dict[str, Any]:
        node = self.preset.graph.node(stack_id)
        if node.type_id != STACK_TYPE:
            raise GraphError(f"node {stack_id!r} ({node.type_id}) is not a Layer Stack")
        return node.params

    def _layer(self, stack_id: str, number: int) -> None:
        if self.preset.graph.input_link(stack_id, f"layer{number}") is None:
            raise GraphError(f"{stack_id} has no layer{number}")

    def _apply(self, label: str, makers: list[Callable[[Preset], Command | None]]) -> bool:
        steps = Steps.build(label, self.preset, makers)
        if not steps.steps:
            return False
        self.controller.apply(steps)
        return True

    # one layer's settings --------------------------------------------------------------
    def set_entry(self, stack_id: str, number: int, name: str, value: Any) -> bool:
        """Layer ``number``'s blend mode (``modes``), opacity (``opacities``) or
        visibility (``visibility``: "visible" / "hidden")."""
        params = self._stack(stack_id)
        self._layer(stack_id, number)
        if name not in LAYER_LISTS:
            raise GraphError(f"a layer has no setting {name!r}")
        param = self.preset.graph.node_type(stack_id).param(name)
        checked = param.check([value])[0]
        values = _with_entry(params.get(name, []), number - 1, checked, DEFAULTS[name])
        what = {"modes": "blend mode", "opacities": "opacity", "visibility": "visibility"}[name]
        return self._apply(
            f"layer {number} {what}", [lambda p: _set_lists(p, stack_id, {name: values})]
        )

    def set_visible(self, stack_id: str, number: int, visible: bool) -> bool:
        return self.set_entry(stack_id, number, "visibility", "visible" if visible else "hidden")

    def rename(self, stack_id: str, number: int, name: str) -> bool:
        params = self._stack(stack_id)
        self._layer(stack_id, number)
        names = _with_entry(params.get("names", []), number, name.strip(), "")
        while names and not names[-1]:
            names.pop()
        return self._apply(
            f"rename layer {number}", [lambda p: _set_lists(p, stack_id, {"names": names})]
        )

    def solo(self, stack_id: str, number: int) -> bool:
        """Only this layer shown over the base; solo on the layer already shown alone shows
        every layer again (a paint program's Alt-click on the eye)."""
        params = self._stack(stack_id)
        self._layer(stack_id, number)
        numbers = layer_numbers(self.preset.graph, stack_id, "layer")
        count = max(numbers)
        shown = [n for n in numbers if settings(params, n).visible]
        alone = shown == [number]
        visibility = list(params["visibility"]) + ["visible"] * (count - len(params["visibility"]))
        for n in numbers:
            visibility[n - 1] = "visible" if alone or n == number else "hidden"
        label = "show all layers" if alone else f"solo layer {number}"
        return self._apply(label, [lambda p: _set_lists(p, stack_id, {"visibility": visibility})])

    # order ------------------------------------------------------------------------------
    def _permuted(self, preset: Preset, stack_id: str, order: list[int]) -> Relink | None:
        """Layers renumbered so that ``order[i]`` (an old number) becomes layer i + 1, with
        their masks and list entries; old numbers left out of ``order`` lose their links."""
        graph = preset.graph
        links = graph.input_links(stack_id)
        params = graph.node(stack_id).params
        old_links = [
            lk for key, lk in links.items() if re.fullmatch(r"(layer|mask)\d+", key) is not None
        ]
        new_links = []
        lists: dict[str, list] = {}
        for name in LAYER_LISTS:  # entries past the old list's end only where not default
            values = params.get(name, [])
            lists[name] = [entry(values, n - 1, DEFAULTS[name]) for n in order]
            while len(lists[name]) > len(values) and lists[name][-1] == DEFAULTS[name]:
                lists[name].pop()
        names = params.get("names", [])
        lists["names"] = [entry(names, 0, "")] + [entry(names, n, "") for n in order]
        while lists["names"] and not lists["names"][-1]:
            lists["names"].pop()
        for new, old in enumerate(order, start=1):
            for port in ("layer", "mask"):
                link = links.get(f"{port}{old}")
                if link is not None:
                    new_links.append(Link(link.src, link.src_port, stack_id, f"{port}{new}"))
        if old_links == new_links and all(params.get(k) == v for k, v in lists.items()):
            return None
        old_params = {k: copy.deepcopy(params.get(k)) for k in lists}
        return Relink(stack_id, old_links, new_links, old_params, lists, "reorder layers")

    def move(self, stack_id: str, number: int, to: int) -> bool:
        """Layer ``number`` moved to position ``to`` (1 = just over the base), the others
        closing up; masks, modes, opacities, visibility and names go with their layer."""
        self._stack(stack_id)
        self._layer(stack_id, number)
        order = layer_numbers(self.preset.graph, stack_id, "layer")
        if not 1 <= to <= len(order):
            raise GraphError(f"{stack_id} has layers 1 to {len(order)}, not {to}")
        order.remove(number)
        order.insert(to - 1, number)
        return self._apply(
            f"move layer {number} to {to}", [lambda p: self._permuted(p, stack_id, order)]
        )

    # adding and removing ------------------------------------------------------------------
    def add_paintings(
        self,
        stack_id: str,
        paintings: list[str],
        *,
        revealed: bool = False,
        style_params: dict[str, Any] | None = None,
        also: Callable[[Preset], Command | None] | None = None,
    ) -> list[tuple[str, str]]:
        """For each painting, a style render of the stack's photo and a paint mask over it
        (``revealed``: the mask starts white, the layer showing everywhere; else black,
        to be painted in), linked as the stack's next layers (under the detail layers kept
        on top, see ``_detail_layers``), placed left of the stack where nothing is. One
        undo step. Returns (render id, mask id) per painting."""
        self._stack(stack_id)
        if not paintings:
            raise GraphError("choose at least one painting")
        graph = self.preset.graph
        photo, photo_port = photo_of(graph, stack_id)
        base = self._style_params(stack_id) | (style_params or {})
        used = layer_numbers(graph, stack_id, "layer") + layer_numbers(graph, stack_id, "mask")
        first = max(used, default=0) + 1
        taken = set(graph.nx.nodes)
        specs: list[NodeSpec] = []
        links: list[Link] = []
        added: list[tuple[str, str]] = []
        group: list[tuple[tuple[float, float], tuple[float, float]]] = []
        render_size = layout.node_size(graph.registry.get(STYLE_TYPE))
        mask_size = layout.node_size(graph.registry.get(PAINT_TYPE))
        y = 0.0
        for offset, painting in enumerate(paintings):
            render_id = _fresh(_stem(painting), taken)
            mask_id = _fresh(f"{render_id}_mask", taken)
            params = {**base, "style_files": [str(painting)]}
            specs.append(NodeSpec(render_id, STYLE_TYPE, params, (0.0, y)))
            group.append(((0.0, y), render_size))
            y += render_size[1] + layout.GAP_Y
            specs.append(NodeSpec(mask_id, PAINT_TYPE, {"base": 1.0 if revealed else 0.0}, (0, y)))
            group.append(((0.0, y), mask_size))
            y += mask_size[1] + layout.GAP_Y
            n = first + offset
            links += [
                Link(photo, photo_port, render_id, "content"),
                Link(photo, photo_port, mask_id, "image"),
                Link(render_id, "image", stack_id, f"layer{n}"),
                Link(mask_id, "mask", stack_id, f"mask{n}"),
            ]
            added.append((render_id, mask_id))
        sx, sy = graph.node(stack_id).position
        near = (sx - render_size[0] - layout.GAP_X, sy)
        corner = layout.free_spot(graph, group, near)
        for spec in specs:
            spec.position = (corner[0] + spec.position[0], corner[1] + spec.position[1])
            spec.params = _full_params(graph, spec)
        params = graph.node(stack_id).params
        lists = {}
        for name in LAYER_LISTS:  # a stale entry left by a removed layer would apply
            values = list(params.get(name, []))
            for n in range(first, first + len(paintings)):
                if n - 1 < len(values):
                    values[n - 1] = DEFAULTS[name]
            lists[name] = values
        label = (
            f"add painting layer {added[0][0]}"
            if len(added) == 1
            else f"add {len(added)} painting layers"
        )
        below = layer_numbers(graph, stack_id, "layer")
        details = _detail_layers(graph, stack_id, below)
        order = [n for n in below if n not in details]
        order += list(range(first, first + len(paintings))) + details
        self._apply(
            label,
            [
                lambda p: AddNodes(label, specs, links),
                lambda p: _set_lists(p, stack_id, lists),
                lambda p: self._permuted(p, stack_id, order) if details else None,
                also or (lambda p: None),
            ],
        )
        return added

    def set_mask(self, stack_id: str, number: int, source: str) -> str:
        """Layer ``number``'s mask made of ``source`` (one of ``MASK_SOURCES``): a new mask
        node of the stack's photo linked as its maskN, in the old mask's place; the old
        mask node goes where nothing else uses it. One undo step (which brings a painted
        mask back with its strokes). Returns the new mask node's id."""
        self._stack(stack_id)
        self._layer(stack_id, number)
        type_id, params = _mask_spec(source)
        graph = self.preset.graph
        old = graph.input_link(stack_id, f"mask{number}")
        if old is not None and mask_source(graph, old.src) == source:
            return old.src
        photo, photo_port = photo_of(graph, stack_id)
        layer = graph.input_link(stack_id, f"layer{number}").src
        mask_id = _fresh(f"{layer}_{source}", set(graph.nx.nodes))
        spec = NodeSpec(mask_id, type_id, params, (0.0, 0.0))
        spec.params = _full_params(graph, spec)
        doomed = (
            [old.src]
            if old is not None
            and set(graph.nx.succ[old.src]) == {stack_id}
            and _only(graph, old.src, stack_id, number)
            else []
        )
        if doomed:
            spec.position = graph.node(old.src).position
        else:
            size = layout.node_size(graph.registry.get(type_id))
            sx, sy = graph.node(stack_id).position
            spec.position = layout.free_spot(graph, [((0.0, 0.0), size)], (sx - size[0], sy))
        links = [
            Link(photo, photo_port, mask_id, "image"),
            Link(mask_id, "mask", stack_id, f"mask{number}"),
        ]
        label = f"mask layer {number} to {source}"
        self._apply(
            label,
            [
                lambda p: Relink(stack_id, [old], [], {}, {}, label) if old else None,
                lambda p: DeleteNodes.of(p, doomed) if doomed else None,
                lambda p: AddNodes(label, [spec], links),
            ],
        )
        return mask_id

    def _style_params(self, stack_id: str) -> dict[str, Any]:
        """A new render's settings: those of the stack's first style render (so a new
        layer matches the look of the others), else the fast engine's defaults."""
        graph = self.preset.graph
        for row in reversed(rows(graph, stack_id)):
            if row.source and graph.node(row.source).type_id == STYLE_TYPE:
                params = copy.deepcopy(graph.node(row.source).params)
                params.pop("style_files", None)
                params.pop("style_weights", None)
                return params
        return {"engine": "fast"}

    def remove(self, stack_id: str, number: int) -> list[str]:
        """Layer ``number`` out of the stack, the layers above closing up; its render and
        mask nodes go too where nothing else uses them (what Add painting layer added).
        One undo step. Returns the ids of the nodes removed."""
        self._stack(stack_id)
        self._layer(stack_id, number)
        graph = self.preset.graph
        links = graph.input_links(stack_id)
        feeders = [links[f"layer{number}"].src]
        if f"mask{number}" in links:
            feeders.append(links[f"mask{number}"].src)
        doomed = [
            n
            for n in dict.fromkeys(feeders)
            if set(graph.nx.succ[n]) == {stack_id} and _only(graph, n, stack_id, number)
        ]
        order = [n for n in layer_numbers(graph, stack_id, "layer") if n != number]
        self._apply(
            f"remove layer {number}",
            [
                lambda p: self._permuted(p, stack_id, order),
                lambda p: DeleteNodes.of(p, doomed) if doomed else None,
            ],
        )
        return doomed


def _detail_layers(graph: Graph, stack_id: str, numbers: list[int]) -> list[int]:
    """The detail layers at the top of the stack (a sharpened photo's edges, which the
    painters keep over everything), bottom first: a new render goes under them."""
    links = graph.input_links(stack_id)
    details: list[int] = []
    for number in sorted(numbers, reverse=True):
        source = links[f"layer{number}"].src
        if not graph.node(source).type_id.startswith(DETAIL_PREFIXES):
            break
        details.insert(0, number)
    return details


def _only(graph: Graph, node_id: str, stack_id: str, number: int) -> bool:
    """Whether ``node_id`` feeds the stack through layer/mask ``number`` alone."""
    ports = [lk.dst_port for lk in graph.links() if lk.src == node_id and lk.dst == stack_id]
    return set(ports) <= {f"layer{number}", f"mask{number}"}


def _full_params(graph: Graph, spec: NodeSpec) -> dict[str, Any]:
    node_type = graph.registry.get(spec.type_id)
    merged = node_type.default_params()
    for name, value in spec.params.items():
        param = node_type.param(name)
        if param is None:
            raise GraphError(f"{spec.type_id} has no param {name!r}")
        merged[name] = param.check(value)
    return merged


def _stem(painting: str) -> str:
    """A node id from a painting's file name: the layer is then called after it."""
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", Path(painting).stem).strip("_").lower()
    if not stem or not (stem[0].isalpha() or stem[0] == "_"):
        stem = f"style_{stem}"
    return stem[:48]


def _fresh(stem: str, taken: set[str]) -> str:
    """``stem``, or ``stem_2``, ``stem_3``... where taken: the same painting twice stays
    readable (not ``picasso_selfport19072``)."""
    name = fresh_id(stem, taken, bare=True, sep="_")
    taken.add(name)
    return name
