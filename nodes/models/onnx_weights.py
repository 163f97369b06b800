"""Reads trained weights out of ONNX files as float tensors, dequantising int8 ones.

Only the weights are taken: the networks themselves are written as torch modules, so they
run at any image size and on any torch device.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _dequantise(q: np.ndarray, scale: np.ndarray, zero: np.ndarray | int, axis: int) -> np.ndarray:
    q = q.astype(np.float32)
    if np.ndim(scale) == 1 and q.ndim > 1:
        shape = [1] * q.ndim
        shape[axis] = -1
        scale = np.reshape(scale, shape)
        zero = np.reshape(zero, shape) if np.ndim(zero) else zero
    return (q - np.asarray(zero, np.float32)) * scale


def conv_weights(
    path: Path,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray | None]], dict[str, np.ndarray]]:
    """Map each Conv node's output name to its (weight, bias), and every dequantised
    constant to its value. Quantise/dequantise pairs on activations are seen through."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            tensors[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in tensors:
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            zero = tensors[node.input[2]] if len(node.input) > 2 else 0
            tensors[node.output[0]] = _dequantise(
                tensors[node.input[0]], tensors[node.input[1]], zero, axis
            )
    convs = {}
    for node in model.graph.node:
        if node.op_type == "Conv":
            bias = tensors.get(node.input[2]) if len(node.input) > 2 else None
            convs[node.output[0]] = (tensors[node.input[1]], bias)
    return convs, tensors


def dequantised_model(path: Path) -> bytes:
    """The same graph with every quantise/dequantise pair removed and int8 weights turned
    into float: what the network computes without int8 rounding. Used to check the torch
    port against onnxruntime exactly."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    tensors = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    rename: dict[str, str] = {}
    new_weights = []
    drop: set[int] = set()
    for index, node in enumerate(graph.node):
        if node.op_type == "DequantizeLinear" and node.input[0] in tensors:
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            zero = tensors[node.input[2]] if len(node.input) > 2 else 0
            value = _dequantise(tensors[node.input[0]], tensors[node.input[1]], zero, axis)
            weight = numpy_helper.from_array(value.astype(np.float32), node.output[0])
            if node.output[0] in tensors:  # replaces an initializer of the same name
                graph.initializer.remove(
                    next(t for t in graph.initializer if t.name == node.output[0])
                )
            new_weights.append(weight)
            drop.add(index)
        elif node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            # Activations stay float; the exporter sometimes reshapes the int8 tensor
            # between the two, so each one on its own becomes an identity.
            rename[node.output[0]] = node.input[0]
            drop.add(index)
    kept = [
        onnx.NodeProto.FromString(n.SerializeToString())
        for i, n in enumerate(graph.node)
        if i not in drop
    ]
    for node in kept:
        for i, name in enumerate(node.input):
            while name in rename:
                name = rename[name]
            node.input[i] = name
    for output in graph.output:
        while output.name in rename:
            output.name = rename[output.name]
    del graph.node[:]
    graph.node.extend(kept)
    graph.initializer.extend(new_weights)
    return model.SerializeToString()
