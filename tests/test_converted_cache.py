"""The converted-model cache: a damaged file is found by its hash or its NaN, converted again
and said once; an intact one is loaded without converting."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from stylegraph.nodes.models import upscale
from stylegraph.nodes.models.converted import (
    ConvertedModelError,
    ConvertedModelWarning,
    cached_state_dict,
    converted_cache_dir,
    warnings_to,
)
from tests.helpers import run_node

WEIGHTS = {
    "conv.weight": torch.linspace(-1, 1, 4096).reshape(64, 64),
    "conv.bias": torch.arange(64, dtype=torch.float32),
}


class Converter:
    """Counts its calls, so a test can tell a load from a rebuild."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, torch.Tensor]:
        self.calls += 1
        return {k: v.clone() for k, v in WEIGHTS.items()}


def _same(state: dict[str, torch.Tensor]) -> bool:
    return state.keys() == WEIGHTS.keys() and all(torch.equal(state[k], WEIGHTS[k]) for k in state)


@pytest.fixture
def cached() -> Path:
    """A converted model written once, through the cache itself."""
    convert = Converter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a first conversion is no damage: no warning
        cached_state_dict("net", "abc123", convert)
    path = converted_cache_dir() / "net-abc123.safetensors"
    assert path.is_file() and convert.calls == 1
    return path


def _flip_one_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) - 100] ^= 0x01  # inside the tensor data: still loads, different weight
    path.write_bytes(bytes(data))


def _one_weight_nan(path):
    state = {k: v.clone() for k, v in WEIGHTS.items()}
    state["conv.weight"][3, 5] = float("nan")
    save_file(state, path)


def _cut_short(path):
    path.write_bytes(path.read_bytes()[:100])


def _zeroed(path):
    path.write_bytes(bytes(path.stat().st_size))


MISMATCH = "does not match the hash kept beside it (cut short or altered)"
DAMAGE = {
    "one byte flipped": (_flip_one_byte, MISMATCH),
    "one weight NaN": (_one_weight_nan, MISMATCH),
    "cut short": (_cut_short, MISMATCH),
    "zeroed": (_zeroed, MISMATCH),
    "emptied": (lambda p: p.write_bytes(b""), "is empty"),
}


@pytest.mark.parametrize("fault", DAMAGE)
def test_a_damaged_converted_model_is_rebuilt_with_one_warning(cached, fault):
    path = cached
    damage, why = DAMAGE[fault]
    damage(path)
    convert = Converter()
    with pytest.warns(ConvertedModelWarning) as caught:
        state = cached_state_dict("net", "abc123", convert)
    assert [str(w.message) for w in caught] == [
        f"the converted model {path} {why}, so it was converted again"
    ]
    assert convert.calls == 1 and _same(state)
    # rewritten whole: the next load is silent and converts nothing
    again = Converter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _same(cached_state_dict("net", "abc123", again))
    assert again.calls == 0


def test_a_nan_written_with_a_matching_hash_is_still_caught(cached):
    """Both files rewritten (a hash can be recomputed by whatever damaged the model): the
    finiteness check still refuses the NaN."""
    import hashlib

    path = cached
    _one_weight_nan(path)
    hash_file = path.with_name(path.name + ".sha256")
    hash_file.write_text(hashlib.sha256(path.read_bytes()).hexdigest())
    convert = Converter()
    with pytest.warns(ConvertedModelWarning, match="holds NaN or infinity") as caught:
        state = cached_state_dict("net", "abc123", convert)
    assert len(caught) == 1 and convert.calls == 1 and _same(state)


def test_an_intact_model_is_loaded_without_converting_or_warning(cached):
    before = cached.read_bytes()
    convert = Converter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state = cached_state_dict("net", "abc123", convert)
    assert convert.calls == 0 and _same(state)
    assert cached.read_bytes() == before


def test_a_model_without_its_hash_is_converted_quietly(cached):
    """Written by an older version (or by a process still writing the hash): not damage."""
    path = cached
    path.with_name(path.name + ".sha256").unlink()
    convert = Converter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _same(cached_state_dict("net", "abc123", convert))
    assert convert.calls == 1 and path.with_name(path.name + ".sha256").is_file()


def test_a_new_source_digest_is_a_new_entry(cached):
    convert = Converter()
    cached_state_dict("net", "def456", convert)
    assert convert.calls == 1
    assert sorted(p.name for p in converted_cache_dir().glob("*.safetensors")) == [
        "net-abc123.safetensors",
        "net-def456.safetensors",
    ]


def test_warnings_go_to_the_relay_inside_a_node(cached):
    path = cached
    _zeroed(path)
    said: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with warnings_to(said.append):
            cached_state_dict("net", "abc123", Converter())
    assert len(said) == 1 and str(path) in said[0]


def test_a_conversion_that_gives_nan_is_refused():
    def broken() -> dict[str, torch.Tensor]:
        return {"w": torch.tensor([1.0, float("inf")])}

    with pytest.raises(
        ConvertedModelError, match=r"^bad: converting it gave NaN or infinity in 'w'"
    ):
        cached_state_dict("bad", "0", broken)
    assert not list(converted_cache_dir().glob("bad-*"))


def test_an_unwritable_cache_folder_only_costs_the_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("STYLEGRAPH_CACHE_DIR", str(blocker))  # models/ cannot be made
    convert = Converter()
    assert _same(cached_state_dict("net", "abc123", convert))
    assert _same(cached_state_dict("net", "abc123", convert))
    assert convert.calls == 2


def test_the_upscale_node_reports_a_rebuilt_real_esrgan_model(registry):
    """End to end: a flipped byte in the embedded Real-ESRGAN model is seen, the node's
    warnings carry the one sentence, and its picture equals the one from intact weights."""
    image = np.random.default_rng(3).random((24, 24, 3), dtype=np.float32)
    params = {"model": "realesr-animevideov3", "device": "cpu"}

    def upscaled() -> tuple[np.ndarray, list[str]]:
        upscale.load_model.cache_clear()  # load from disk, as a new process would
        outputs, said = run_node(registry, "image.upscale", {"image": image}, params)
        return outputs["image"], said

    intact, said = upscaled()
    assert said == []
    [path] = converted_cache_dir().glob("realesr-animevideov3-x4-*.safetensors")
    _flip_one_byte(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # relayed to the node, not Python's warnings
        rebuilt, said = upscaled()
    assert said == [
        f"the converted model {path} does not match the hash kept beside it "
        "(cut short or altered), so it was converted again"
    ]
    np.testing.assert_array_equal(rebuilt, intact)
    assert upscaled()[1] == []
