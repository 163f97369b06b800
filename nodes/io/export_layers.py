from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from stylegraph.graph.atomic import fsync_dir, temp_file_beside
from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.layers import Layer, LayerStack
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.image_io import place_file
from stylegraph.nodes.functional.layered import bake_unsupported
from stylegraph.nodes.functional.ora import KRITA_OPS, SVG_OPS, write_ora

FORMATS = ("psd+ora", "psd", "ora")
DEPTHS = {"8-bit": 8, "16-bit": 16}
ORA_MODES = ("krita", "baked")

Writer = Callable[[BinaryIO, Sequence[Layer], np.ndarray, int], None]


def _write(
    writer: Writer, layers: list[Layer], stack: LayerStack, bits: int, target: Path, overwrite: bool
) -> Path:
    """Encode into a synced temp file beside ``target``, then put it in place: whole or
    not at all, numbered instead of replacing unless ``overwrite``."""
    with temp_file_beside(target) as (fh, tmp):
        writer(fh, layers, stack.merged, bits)
    written = place_file(tmp, target, overwrite)
    fsync_dir(target.parent)
    return written


def _shared_stem(directory: Path, filename: str, formats: list[str], overwrite: bool) -> str:
    """One name for all the files, so that fusion-0001.psd and fusion-0001.ora stay a pair:
    the first of ``filename``, ``filename-0001``, ... free in every format. Placing each
    file still refuses to replace one that appears meanwhile."""
    if overwrite:
        return filename
    for n in range(10000):
        stem = f"{filename}-{n:04d}" if n else filename
        if not any((directory / f"{stem}.{fmt}").exists() for fmt in formats):
            return stem
    return filename


def _companion_stem(directory: Path, stem: str, formats: list[str], overwrite: bool) -> str:
    """The stem of the file these layers accompany (``fusion-0003`` for Save Image's
    ``fusion-0003.png``), so the pair keeps one number even when runs write into one folder
    at once; only if that stem is taken in a layered format (a stray file) does it get a
    number of its own."""
    if overwrite or not any((directory / f"{stem}.{fmt}").exists() for fmt in formats):
        return stem
    return _shared_stem(directory, stem, formats, overwrite)


def _ora_layers(stack: LayerStack, ora_modes: str) -> tuple[list[Layer], list[str]]:
    """The layers as OpenRaster gets them, and a warning per layer whose mode it lacks."""
    if ora_modes == "baked":
        return bake_unsupported(stack.layers, SVG_OPS.__contains__, "OpenRaster")
    warnings = [
        f"layer {layer.name!r}: OpenRaster has no {layer.mode} blend mode; it was written as "
        f"{KRITA_OPS[layer.mode]}, which Krita reads and other programs may show as Normal "
        "(ora_modes 'baked' keeps the look everywhere)"
        for layer in stack.layers
        if layer.mode in KRITA_OPS
    ]
    return list(stack.layers), warnings


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    stack: LayerStack = inputs["layers"]
    bits = DEPTHS[params["depth"]]
    directory = ctx.output_dir / params["directory"]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NodeError(f"cannot create the output folder {directory}: {exc.strerror}") from None
    wanted = params["format"].split("+")
    companion = inputs.get("name_from")
    if companion:
        stem = _companion_stem(directory, Path(companion).stem, wanted, params["overwrite"])
    else:
        stem = _shared_stem(directory, params["filename"], wanted, params["overwrite"])
    written = {"psd": "", "ora": ""}
    for done, fmt in enumerate(wanted):
        ctx.progress(done / len(wanted))
        target = directory / f"{stem}.{fmt}"
        if fmt == "psd":
            from stylegraph.nodes.functional.psd import write_psd  # psd-tools: 0.1 s to import

            writer: Writer = write_psd
            layers, warnings = list(stack.layers), []
        else:
            writer = write_ora
            layers, warnings = _ora_layers(stack, params["ora_modes"])
        for warning in warnings:
            ctx.warn(warning)
        try:
            path = _write(writer, layers, stack, bits, target, params["overwrite"])
        except OSError as exc:
            raise NodeError(f"cannot write {target}: {exc}") from None
        except ValueError as exc:
            raise NodeError(f"cannot write {target.name}: {exc}") from None
        written[fmt] = str(path)
    return written


NODE = NodeType(
    type_id="image.export_layers",
    display_name="Export Layers",
    category="input/output",
    description="Writes a Layer Stack's layers as layered files, to finish by hand: Photoshop "
    "PSD and OpenRaster (.ora, for Krita, GIMP and MyPaint). Every layer keeps its pixels, "
    "name, blend mode, opacity, visibility and mask (PSD: a real layer mask; ORA: applied to "
    "the layer's alpha, with the mask as a hidden layer above it), with the flat result as "
    "the merged image. Never overwrites silently, like Save Image.",
    run=run,
    side_effect=True,
    inputs=(
        Port("layers", PortType.LAYERS, "A Layer Stack's 'layers' output."),
        Port(
            "name_from",
            PortType.TEXT,
            "The file a Save Image node wrote (its 'path'): the layered files take its name "
            "and number, so fusion-0003.png comes with fusion-0003.psd and .ora; 'filename' "
            "is then unused.",
            optional=True,
        ),
    ),
    outputs=(
        Port("psd", PortType.TEXT, "The PSD written, or empty."),
        Port("ora", PortType.TEXT, "The OpenRaster file written, or empty."),
    ),
    params=(
        Param("filename", ParamType.FILE_NAME, "layers", help="File name without extension."),
        Param(
            "directory",
            ParamType.OUTPUT_DIR,
            "",
            help="Sub-folder of the output folder; empty for the output folder itself.",
        ),
        Param("format", ParamType.CHOICE, "psd+ora", choices=FORMATS),
        Param(
            "depth",
            ParamType.CHOICE,
            "8-bit",
            choices=tuple(DEPTHS),
            help="Bits per channel of the layers and the merged image (PSD and ORA both take 16).",
        ),
        Param(
            "ora_modes",
            ParamType.CHOICE,
            "krita",
            choices=ORA_MODES,
            help="Photoshop's extra blend modes, which OpenRaster lacks: 'krita' writes "
            "Krita's names for them (other programs may show Normal), 'baked' mixes them into "
            "the layer's pixels so every app shows the same picture.",
        ),
        Param(
            "overwrite",
            ParamType.BOOL,
            False,
            help="Replace existing files of the same names instead of numbering.",
        ),
    ),
)
