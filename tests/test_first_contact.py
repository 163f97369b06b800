"""What a new user meets in the first hour, and hostile values at ``--set``: each test
asserts what the user sees (exit code, the exact message, the files on disk)."""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from stylegraph.cli import main
from stylegraph.cli.edit import display_problem
from stylegraph.graph.context import NodeContext
from stylegraph.graph.engine import Engine, Status
from stylegraph.graph.model import Graph
from stylegraph.graph.registry import Registry
from stylegraph.graph.spec import PATH_MAX, NodeType, Port, PortType
from stylegraph.nodes import default_registry

REPO = Path(__file__).resolve().parent.parent


def _ran_nothing(self, *args, **kwargs):
    raise AssertionError("the engine ran, but the command should have stopped before")


@pytest.fixture
def no_run(monkeypatch):
    """Proof that a refusal came before anything ran: the engine may not be called."""
    monkeypatch.setattr(Engine, "run", _ran_nothing)


def _stylegraph(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stylegraph", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


# --- the README's two commands in one clone --------------------------------------------


# What a clone would not hold: git's folder and what .gitignore keeps out of it.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "out"
)


def test_pip_install_dot_leaves_build_lib_and_the_package_check_still_passes(tmp_path):
    """`pip install .` builds in the clone and leaves copies under build/lib/; the test
    that every package is listed for installation must not take them for packages."""
    clone = tmp_path / "stylegraph"
    shutil.copytree(REPO, clone, ignore=NOT_IN_A_CLONE, symlinks=True)
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    install += ["--target", str(tmp_path / "site"), str(clone)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    assert (clone / "build" / "lib" / "stylegraph" / "graph" / "__init__.py").is_file()
    check = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    check += [str(clone / "tests" / "test_preset.py"), "-k", "every_package"]
    done = subprocess.run(check, cwd=clone, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 passed" in done.stdout


# --- the editor without a display --------------------------------------------------------


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="X11 displays only")
def test_edit_without_a_display_says_so_in_one_line_and_exits_2():
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = _stylegraph("edit", "fusion", env=env)
    assert done.returncode == 2
    assert done.stderr == (
        "error: the editor needs a display and DISPLAY is not set: run it on a desktop, or "
        "under xvfb-run for scripts (xvfb-run stylegraph edit ...)\n"
    )


def test_the_editor_has_torchs_threads_wait_passively_unless_the_user_chose(monkeypatch):
    """A render in the editor shares the cores with the window's drawing: spinning OpenMP
    threads made a Deep Style render 4x slower there than waiting ones."""
    from stylegraph.cli.edit import cmd_edit, threads_wait_passively
    from stylegraph.cli.errors import UsageError
    from stylegraph.cli.parser import build_parser

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    args = build_parser().parse_args(["edit", "fusion"])
    with pytest.raises(UsageError):
        cmd_edit(args, default_registry())
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    chosen = {"OMP_WAIT_POLICY": "ACTIVE"}
    threads_wait_passively(chosen)
    assert chosen == {"OMP_WAIT_POLICY": "ACTIVE"}


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="X11 displays only")
def test_edit_with_a_display_nobody_serves_says_so_before_glfw_aborts(tmp_path):
    free = next(n for n in range(4000, 5000) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    done = _stylegraph("edit", env={**os.environ, "DISPLAY": f":{free}"})
    assert done.returncode == 2
    assert done.stderr == (
        f"error: the editor needs a display and none answers at DISPLAY=:{free}: run it on a "
        "desktop, or under xvfb-run for scripts (xvfb-run stylegraph edit ...)\n"
    )


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is missing")
def test_a_running_x_server_is_a_display():
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "64x64x24"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        number = server.stdout.readline().strip()
        assert display_problem({"DISPLAY": f":{number}"}) is None
        assert display_problem({"DISPLAY": f"unix:{number}.0"}) is None
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- did you mean -----------------------------------------------------------------------


def test_a_mistyped_input_is_refused_with_the_closest_name(capsys, no_run):
    assert main(["run", "quick-stylize", "--set", "contnt=photo.jpg"]) == 2
    assert capsys.readouterr().err == (
        "error: --set contnt: the preset has no input 'contnt' (inputs: content, style); "
        "did you mean 'content'?\n"
    )


def test_a_mistyped_param_is_refused_with_the_closest_name(capsys, no_run):
    assert main(["run", "quick-stylize", "--set", "paint.strenght=0.5"]) == 2
    assert capsys.readouterr().err == (
        "error: --set paint.strenght: node 'paint' (style.transfer) has no param 'strenght'; "
        "did you mean 'strength'?\n"
    )
    assert main(["run", "quick-stylize", "--set", "strength=0.5"]) == 2
    assert capsys.readouterr().err == (
        "error: --set strength: the preset has no input 'strength' (inputs: content, style); "
        "did you mean 'paint.strength'?\n"
    )
    assert main(["run", "quick-stylize", "--set", "pant.strength=0.5"]) == 2
    assert capsys.readouterr().err == (
        "error: --set pant.strength: the preset has no node 'pant'; did you mean 'paint'?\n"
    )


def test_a_node_type_by_its_short_name_is_found(capsys):
    assert main(["nodes", "blend"]) == 2
    assert capsys.readouterr().err == (
        "error: unknown node type 'blend'; did you mean 'image.blend'? "
        "(`stylegraph nodes` lists them all)\n"
    )
    assert main(["nodes", "sharpen"]) == 2
    assert capsys.readouterr().err == (
        "error: unknown node type 'sharpen'; the sharpen nodes are sharpen.edges, "
        "sharpen.high_pass, sharpen.unsharp_mask (`stylegraph nodes` lists them all)\n"
    )
    assert main(["nodes", "magic.wand"]) == 2
    assert "did you mean" not in capsys.readouterr().err


def test_a_mistyped_preset_name_is_refused_with_the_closest_shipped_one(capsys, no_run):
    assert main(["run", "fusoin"]) == 2
    assert capsys.readouterr().err.endswith("; did you mean 'fusion'?\n")


# --- checked before anything runs -------------------------------------------------------


def test_a_missing_painting_is_refused_before_any_node_runs(images, tmp_path, capsys, no_run):
    photo = images / "content" / "chelsea.png"
    out = tmp_path / "out"
    args = ["run", "quick-stylize", "--set", f"content={photo}", "--set", "style=nope.jpg"]
    assert main([*args, "--out", str(out)]) == 2
    missing = Path("nope.jpg").resolve()
    assert capsys.readouterr().err == (
        f"error: node 'paint' (style.transfer), param 'style_files': file not found: {missing}\n"
    )
    assert not out.exists()


def test_a_tilde_naming_no_user_is_a_file_name_as_in_a_shell(images, tmp_path, capsys, no_run):
    """``Path.expanduser`` raises on ``~0`` (no such user): the run said only "Could not
    determine home directory", naming no param."""
    photo = images / "content" / "chelsea.png"
    args = ["run", "quick-stylize", "--set", f"content={photo}", "--set", "style=~0"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    missing = Path("~0").resolve()
    assert capsys.readouterr().err == (
        f"error: node 'paint' (style.transfer), param 'style_files': file not found: {missing}\n"
    )


def test_a_preset_run_without_its_photo_names_the_input_to_set(images, capsys, no_run):
    assert main(["run", "quick-stylize"]) == 2
    assert capsys.readouterr().err == (
        "error: the preset's input 'content' is not set: --set content=PHOTO\n"
        "error: the preset's input 'style' is not set: --set style=PAINTING\n"
    )
    painting = images / "styles" / "starry_night.jpg"
    assert main(["run", "quick-stylize", "--set", f"style={painting}"]) == 2
    assert capsys.readouterr().err == (
        "error: the preset's input 'content' is not set: --set content=PHOTO\n"
    )


def test_the_builtin_engine_needs_no_painting(images, capsys, monkeypatch):
    """Whether paintings are needed depends on the engine: no false refusal."""
    called = []
    monkeypatch.setattr(Engine, "run", lambda self, *a, **k: called.append(1) or _empty())
    photo = images / "content" / "chelsea.png"
    args = ["run", "quick-stylize", "--set", f"content={photo}", "--set", "paint.engine=builtin"]
    assert main([*args, "--quiet"]) == 0
    assert called == [1]


def _empty():
    from stylegraph.graph.engine import RunReport

    return RunReport()


def test_validate_says_which_named_inputs_a_run_needs(capsys):
    assert main(["validate", "quick-stylize"]) == 0
    assert capsys.readouterr().out == (
        "quick-stylize: valid (3 nodes; inputs: content, style)\n"
        "quick-stylize: a run needs content, style: --set content=PHOTO --set style=PAINTING\n"
    )
    assert main(["validate", "deep-style"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "deep-style: a run needs content, style: --set content=PHOTO --set style=PAINTING",
        "deep-style: optional, not set: vgg_weights",
    ]


# --- readable descriptions and complete help --------------------------------------------


def test_nodes_describes_a_type_in_words_not_python_dicts(capsys):
    assert main(["nodes", "image.blend"]) == 0
    out = capsys.readouterr().out
    assert "{" not in out and "'optional'" not in out
    lines = out.splitlines()
    assert lines[0] == "image.blend: Blend (version 1, compose)"
    at = lines.index("inputs:")
    assert lines[at : at + 5] == [
        "inputs:",
        "  base: image",
        "  top: image",
        "  mask: mask, optional",
        "      Reveals the top layer where white.",
    ]
    assert "  opacity: float 0..1, default 1.0" in lines
    assert "  offset_x: int -32768..32768, default 0" in lines
    assert main(["nodes", "image.layer_stack"]) == 0
    assert "  layer: image, any number (layer1, layer2, ...)" in capsys.readouterr().out


def _help(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_help_lists_every_command_and_not_the_editors_test_hooks(capsys):
    top = _help(capsys)
    listed = top[top.index("commands:") :]
    for command in ("run", "batch", "sheet", "validate", "nodes", "recipe", "cache", "pack"):
        assert f"\n    {command} " in listed
    assert "\n    unpack " in listed and "\n    edit " in listed
    run = " ".join(_help(capsys, "run").split())
    assert "or a pack (.sgpack)" in run and "default: ./stylegraph-out" in run
    edit = _help(capsys, "edit")
    assert "xvfb-run" in " ".join(edit.split())
    for hook in ("--screenshot", "--select", "--viewer-zoom", "--compare", "--geometry"):
        assert hook not in edit
    assert "--paint-stroke" not in edit and "--set" in edit and "--run" in edit


def test_the_editors_test_hooks_are_the_tests_not_the_command_lines(capsys):
    """--screenshot, --select and the others belong to tests/editor_script.py: the command
    a user runs refuses them like any unknown option."""
    with pytest.raises(SystemExit) as refused:
        main(["edit", "fusion", "--screenshot", "s.png"])
    assert refused.value.code == 2
    assert "unrecognized arguments: --screenshot s.png" in capsys.readouterr().err


# --- the README, where a newcomer looks ---------------------------------------------------


def test_the_readme_tells_a_newcomer_what_they_will_meet():
    readme = " ".join((REPO / "README.md").read_text().split())
    assert 'pip install ".[cluster]"' in readme
    assert 'pip install "stylegraph[cluster]"' not in readme
    assert "about 6 GB" in readme  # torch's CUDA wheels, even without a GPU
    assert re.search(r"Run the tests \(what CI runs.*?about \d+ minutes on two cores", readme)
    assert "needs a display" in readme and "xvfb-run" in readme
    assert "`stylegraph-out`" in readme  # the default output folder
    assert "absolute paths" in readme and "a pack" in readme
    assert "`models/`" in readme


# --- no alarming warnings from torch -----------------------------------------------------


def test_a_pickle_of_another_protocol_is_refused_without_torchs_warning(tmp_path):
    """torch's safe loader reads pickle protocol 2 (torch.save's default) and warns about
    any other, asking the user to file an issue; we refuse such a file in our own words,
    which never suggest loading it unsafely, and a protocol 2 file still loads."""
    from stylegraph.nodes.models.upscale import ModelError, read_model_file

    raw, other, good = tmp_path / "raw.pth", tmp_path / "other.pth", tmp_path / "good.pth"
    with open(raw, "wb") as fh:
        pickle.dump({"params": {"w": [1.0]}}, fh, protocol=4)
    torch.save({"w": torch.ones(2)}, other, pickle_protocol=4)
    torch.save({"w": torch.ones(2)}, good)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in (raw, other):
            with pytest.raises(ModelError) as refused:
                read_model_file(path)
            assert str(refused.value) == (
                f"{path}: cannot be read as model weights (NotWeights: torch's safe loader "
                "cannot read it (it reads what torch.save writes by default: tensors and plain "
                "data, pickle protocol 2); it is never loaded unsafely, as it could run code)"
            )
        assert torch.equal(read_model_file(good)["w"], torch.ones(2))


# --- non-finite values -------------------------------------------------------------------


@pytest.mark.parametrize("weight", ["nan", "inf", "1e308", "-1"])
def test_a_builtin_style_weight_that_is_no_ordinary_number_is_refused_at_set(
    weight, capsys, no_run
):
    value = f"3:{weight},12:0.5"
    assert main(["run", "quick-stylize", "--set", f"paint.builtin_styles={value}"]) == 2
    assert capsys.readouterr().err == (
        "error: --set paint.builtin_styles: node 'paint' (style.transfer), param "
        f"'builtin_styles': style 3's weight {weight} is not a number from 0 to 1000\n"
    )


def _poison_registry(value: float) -> Registry:
    """Load Image and Save Image, and a node whose picture holds one ``value`` pixel."""

    def poison(ctx: NodeContext, inputs: dict, params: dict) -> dict:
        image = np.array(inputs["image"], np.float32)
        image[0, 0, 0] = value
        return {"image": image, "number": value}

    nan_type = NodeType(
        "test.poison",
        "Poison",
        "test",
        "",
        poison,
        inputs=(Port("image", PortType.IMAGE),),
        outputs=(Port("image", PortType.IMAGE), Port("number", PortType.NUMBER)),
    )
    return Registry([*default_registry(), nan_type])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_no_output_with_nan_or_infinity_reaches_a_saved_file(value, images, tmp_path):
    registry = _poison_registry(value)
    graph = Graph(registry)
    graph.add_node("image.load", "photo", {"path": str(images / "content" / "coffee.png")})
    graph.add_node("test.poison", "bad")
    graph.add_node("image.save", "save", {"filename": "poisoned"})
    graph.connect("photo", "image", "bad", "image")
    graph.connect("bad", "image", "save", "image")
    report = Engine().run(graph, output_dir=tmp_path)
    assert report.nodes["bad"].status == Status.FAILED
    assert report.nodes["bad"].error == (
        "node 'bad' (test.poison): output 'image' has 1 of "
        f"{report.outputs['photo']['image'].size:,} values that are NaN or infinite (its "
        "params or inputs took the computation out of range), so nothing downstream uses it"
    )
    assert report.nodes["save"].status == Status.SKIPPED
    assert list(tmp_path.iterdir()) == []


def test_a_result_computed_elsewhere_with_nan_is_not_seeded(images, tmp_path):
    """Batch sweeps compute some results outside ``run`` and seed them; a seeded picture
    with NaN would be saved as it is, so it is not kept and the node runs (and fails)."""
    engine = Engine()
    poisoned = np.full((4, 4, 3), 0.5, np.float32)
    poisoned[1, 1, 1] = np.nan
    engine.seed("k-nan", {"image": poisoned})
    engine.seed("k-fine", {"image": np.full((4, 4, 3), 0.5, np.float32)})
    assert engine.peek("k-nan") is None
    assert engine.peek("k-fine") is not None


def test_a_finite_picture_passes_the_check_untouched(images, tmp_path):
    registry = _poison_registry(0.25)
    graph = Graph(registry)
    graph.add_node("image.load", "photo", {"path": str(images / "content" / "coffee.png")})
    graph.add_node("test.poison", "fine")
    graph.connect("photo", "image", "fine", "image")
    report = Engine().run(graph, output_dir=tmp_path)
    assert report.ok
    assert report.outputs["fine"]["image"][0, 0, 0] == np.float32(0.25)


# --- a path of 100,000 characters --------------------------------------------------------

LONG = "/tmp/" + "a" * 100_000
SHORT = "/tmp/" + "a" * 55 + "..." + "a" * 40


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["run", "facet-base", "--set", f"content={LONG}"], "--set content: node 'photo' "
         "(image.load), param 'path': the path"),
        (["run", LONG], "the preset: the path"),
        (["validate", LONG], "the preset: the path"),
        (["run", "facet-base", "--out", LONG], "--out: the path"),
    ],
    ids=["photo", "preset", "validate", "out"],
)  # fmt: skip
def test_a_path_of_100000_characters_is_refused_shortened(args, said, capsys, no_run):
    assert main(args) == 2
    err = capsys.readouterr().err
    limit = f"paths here are limited to {PATH_MAX - 1:,}"
    assert err == f"error: {said} {SHORT!r} is 100,005 bytes long; {limit}\n"
    assert len(err) < 300
