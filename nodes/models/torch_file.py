"""Reading a weights file that ``torch.save`` wrote, as data only."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import torch


class NotWeights(ValueError):
    """A file torch will not read as plain data: not written by ``torch.save``, or holding
    objects (code) beside its tensors."""


def load_weights(path: Path | str) -> Any:
    """``torch.load`` with ``weights_only``: tensors and plain containers, never pickled
    code. torch warns about any pickle protocol but its own default (2), asking the reader
    to file an issue; a file pickled with another protocol (by hand, or by a stranger) is
    refused all the same, so that warning tells our user nothing and is silenced here, for
    this call only. A refusal is our own sentence: torch's suggests loading the file
    again unsafely."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", r"Detected pickle protocol \d+ in the checkpoint", UserWarning
        )
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise NotWeights(
                "torch's safe loader cannot read it (it reads what torch.save writes by "
                "default: tensors and plain data, pickle protocol 2); it is never loaded "
                "unsafely, as it could run code"
            ) from None
