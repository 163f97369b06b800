"""Where nodes go on the canvas: left to right by depth in the graph, never overlapping.

The sizes are estimates of what the canvas draws (a title bar, one row per port and shown
param, a status row and a 128 px thumbnail), kept generous: a gap too wide costs a little
scrolling, an overlap hides a node.
"""

from __future__ import annotations

from stylegraph.graph.model import Graph
from stylegraph.graph.spec import NodeType, ParamType, Port

ROW = 26.0  # px per port or param row in the canvas
TITLE = 34.0
STATUS = 26.0
THUMBNAIL = 136.0  # the 128 px thumbnail and its padding
FIRST_PARAMS = 6  # the canvas shows this many params and folds the rest into one row
NARROW, WIDE = 300.0, 470.0  # wide: nodes with a path, text or list field
GAP_X, GAP_Y = 70.0, 30.0
ORIGIN = (40.0, 40.0)
_SEARCH_RINGS = 40  # free_spot looks this many GAP_Y steps around the wanted spot

_WIDE_PARAMS = {
    ParamType.TEXT,
    ParamType.FILE,
    ParamType.FILE_LIST,
    ParamType.OUTPUT_DIR,
    ParamType.FILE_NAME,
    ParamType.FLOAT_LIST,
    ParamType.POINT_LIST,
    ParamType.CHOICE_LIST,
}

Position = tuple[float, float]


def node_size(node_type: NodeType, linked_variadic: int = 0) -> tuple[float, float]:
    """Width and height of a node of ``node_type`` on the canvas, ``linked_variadic``
    being how many of its variadic slots (layer1, layer2, ...) are linked."""
    ports = len(node_type.outputs)
    for port in node_type.inputs:
        ports += linked_variadic + 1 if port.variadic else 1
    params = min(len(node_type.params), FIRST_PARAMS)
    params += 1 if len(node_type.params) > FIRST_PARAMS else 0
    height = TITLE + (ports + params) * ROW + STATUS + THUMBNAIL
    wide = any(p.type in _WIDE_PARAMS for p in node_type.params[:FIRST_PARAMS])
    return (WIDE if wide else NARROW), height


def input_slots(graph: Graph, node_id: str) -> list[tuple[str, Port]]:
    """The input pins the canvas draws for a node, in order, with their port. A variadic
    port shows every numbered slot up to its highest linked one, plus one free slot:
    unlinking mask1 of mask1..mask3 leaves "mask1, mask2, mask3, mask4", so the empty
    mask1 can be linked again and maskN still pairs with layerN (the numbers mean
    something to the node, so they are never shifted)."""
    linked = graph.input_links(node_id)
    slots: list[tuple[str, Port]] = []
    for port in graph.node_type(node_id).inputs:
        if not port.variadic:
            slots.append((port.name, port))
            continue
        top = max((int(k[len(port.name) :]) for k in linked if port.accepts(k)), default=0)
        slots += [(f"{port.name}{number}", port) for number in range(1, top + 2)]
    return slots


def size_in(graph: Graph, node_id: str) -> tuple[float, float]:
    node_type = graph.node_type(node_id)
    variadic = [p for p in node_type.inputs if p.variadic]
    slots = sum(1 for _, port in input_slots(graph, node_id) if port.variadic)
    return node_size(node_type, slots - len(variadic))


def depths(graph: Graph) -> dict[str, int]:
    """Each node's column: the longest chain of links leading into it."""
    order = graph.topological_order() or list(graph.nx.nodes)
    depth: dict[str, int] = {}
    for node_id in order:
        parents = [p for p in graph.nx.pred[node_id] if p in depth]
        depth[node_id] = 1 + max((depth[p] for p in parents), default=-1)
    return depth


def arrange(graph: Graph) -> dict[str, Position]:
    """Positions for every node: one column per depth; within a column, nodes ordered by
    the mean row of the nodes feeding them, which keeps links from crossing needlessly."""
    depth = depths(graph)
    columns: dict[int, list[str]] = {}
    for node_id in graph.nx.nodes:
        columns.setdefault(depth[node_id], []).append(node_id)
    rank: dict[str, float] = {}
    positions: dict[str, Position] = {}
    x = ORIGIN[0]
    for column in sorted(columns):
        members = columns[column]
        for index, node_id in enumerate(members):
            parents = [rank[p] for p in graph.nx.pred[node_id] if p in rank]
            rank[node_id] = sum(parents) / len(parents) if parents else float(index)
        members.sort(key=lambda n: (rank[n], n))
        for index, node_id in enumerate(members):
            rank[node_id] = float(index)
        y = ORIGIN[1]
        width = 0.0
        for node_id in members:
            w, h = size_in(graph, node_id)
            positions[node_id] = (x, y)
            y += h + GAP_Y
            width = max(width, w)
        x += width + GAP_X
    return positions


def place_new(graph: Graph) -> Position:
    """A free spot for a new node: right of everything on the canvas, at the top."""
    if len(graph) == 0:
        return ORIGIN
    right = max(node.position[0] + size_in(graph, node.id)[0] for node in graph.nodes())
    top = min(node.position[1] for node in graph.nodes())
    return (right + GAP_X, top)


def free_spot(
    graph: Graph, group: list[tuple[Position, tuple[float, float]]], near: Position
) -> Position:
    """Where to put the top-left corner of ``group`` (each member's offset from that corner
    and its size) so that no member overlaps a node of ``graph``: the free spot nearest
    ``near``, searched ring by ring on a grid of GAP_Y px. Falls back to the free space
    right of the graph when nothing near is free."""
    taken = []
    for node in graph.nodes():
        (x, y), (w, h) = node.position, size_in(graph, node.id)
        taken.append((x - GAP_Y, y - GAP_Y, x + w + GAP_Y, y + h + GAP_Y))

    def free(cx: float, cy: float) -> bool:
        for (dx, dy), (w, h) in group:
            x0, y0 = cx + dx, cy + dy
            if any(x0 < t[2] and t[0] < x0 + w and y0 < t[3] and t[1] < y0 + h for t in taken):
                return False
        return True

    for ring in range(_SEARCH_RINGS):
        cells = [(i, j) for i in range(-ring, ring + 1) for j in range(-ring, ring + 1)]
        cells = [c for c in cells if max(abs(c[0]), abs(c[1])) == ring]
        for i, j in sorted(cells, key=lambda c: (c[0] ** 2 + c[1] ** 2, c[1], c[0])):
            spot = (near[0] + i * GAP_Y, near[1] + j * GAP_Y)
            if free(*spot):
                return spot
    return place_new(graph)


def unplaced(graph: Graph) -> bool:
    """Whether the graph has no layout of its own: two or more nodes at the very same
    spot, where a preset without positions puts them (a hand-made layout never stacks
    nodes to the pixel)."""
    positions = [node.position for node in graph.nodes()]
    return len(set(positions)) < len(positions)


def overlaps(graph: Graph, positions: dict[str, Position] | None = None) -> list[tuple[str, str]]:
    """Pairs of nodes whose rectangles overlap (used by the tests)."""
    where = positions or {node.id: node.position for node in graph.nodes()}
    boxes = {}
    for node_id, (x, y) in where.items():
        w, h = size_in(graph, node_id)
        boxes[node_id] = (x, y, x + w, y + h)
    ids = sorted(boxes)
    found = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            ax0, ay0, ax1, ay1 = boxes[a]
            bx0, by0, bx1, by1 = boxes[b]
            if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1:
                found.append((a, b))
    return found
