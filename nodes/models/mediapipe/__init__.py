"""MediaPipe's person, body, face and iris models, kept in the repository and run by LiteRT.

The seven ``.tflite`` files beside this module come unchanged from the ``mediapipe``
0.10.14 wheel (``mediapipe/modules/...``, Apache-2.0, see LICENSE here; the full-range face
detector is ``face_detection/face_detection_full_range_sparse.tflite``, the body models
``pose_detection/pose_detection.tflite`` and ``pose_landmark/pose_landmark_full.tflite``);
they are read as data by ``ai-edge-litert`` (Google's LiteRT runtime), so neither mediapipe
nor its opencv-contrib is installed and nothing is downloaded at run time. Each file's
SHA-256 is checked the first time it is loaded: a damaged or replaced file is refused with
a ``ModelFileError`` that names it. Each model is loaded once per process and shared
(``interpreter``); LiteRT interpreters are not safe to call from two threads at once, so
``invoke`` holds a lock per model.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

from stylegraph.nodes.models import shipped
from stylegraph.nodes.models.shipped import ModelFileError as ModelFileError  # raised here

MODEL_DIR = Path(__file__).resolve().parent

# name -> SHA-256 of ``MODEL_DIR / f"{name}.tflite"``
MODELS = {
    "selfie_segmentation": "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    "face_detection_short_range": (
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
    ),
    "face_detection_full_range_sparse": (
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"
    ),
    "face_landmark": "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    "iris_landmark": "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
    "pose_detection": "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    "pose_landmark_full": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
}
THREADS = 2  # the CPU work of one model call; the rest of a run goes on in other threads


def model_path(name: str) -> Path:
    return MODEL_DIR / f"{name}.tflite"


def verified_bytes(name: str) -> bytes:
    """The model file's content, after checking it against its recorded SHA-256."""
    if name not in MODELS:
        raise KeyError(f"no shipped model named {name!r}; known: {', '.join(MODELS)}")
    return shipped.verified_bytes(model_path(name), MODELS[name])


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """LiteRT's C++ core prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
    to the process's stderr when the first model is prepared: a line a user of
    ``stylegraph run`` cannot act on. Its file descriptor points at the null device
    while a model is prepared; Python's own warnings and errors are not written then."""
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


class _Model:
    """One loaded interpreter and the lock that serialises calls to it."""

    def __init__(self, name: str) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.name = name
        content = verified_bytes(name)
        with _native_stderr_silenced():
            self._interpreter = Interpreter(model_content=content, num_threads=THREADS)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._outputs = self._interpreter.get_output_details()
        self._lock = threading.Lock()

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the model's input picture."""
        _, height, width, _ = self._input["shape"]
        return int(height), int(width)

    def invoke(self, picture: np.ndarray) -> list[np.ndarray]:
        """The model's outputs (copies, in the file's order) for one float32 picture of
        ``input_size`` x 3."""
        batch = np.ascontiguousarray(picture[None], np.float32)
        with self._lock:
            self._interpreter.set_tensor(self._input["index"], batch)
            self._interpreter.invoke()
            return [self._interpreter.get_tensor(o["index"]).copy() for o in self._outputs]


@cache
def interpreter(name: str) -> _Model:
    """The named model, loaded and checked once per process."""
    return _Model(name)
