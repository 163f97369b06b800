"""Re-renders docs/images/fusion-scenes.jpg: the shipped `fusion` and `subject-background`
presets on five kinds of photo (a portrait, a landscape with sky, a launch pad at dusk,
a night city, an object on a table). Top row: each photo with the regions its anchored
masks find, the sky tinted blue (mask.sky) and the background tinted orange (what
fusion's `render_mask`, anchored to the background, fills); middle row: fusion with The
Scream; bottom row: subject-background, The Scream on the subject and Starry Night around
it. Photos: the astronaut (NASA), Tubingen and the coffee cup (tests' shared images), the
rocket (SpaceX, public domain; tests/data/objects) and, with ``--night PHOTO``, the night
city: neural-style's ``examples/inputs/hoovertowernight.jpg`` (jcjohnson/neural-style,
MIT; not kept here, as its photographer is not named), placed before the cup.
Run: python -m stylegraph.docs.scenes_picture [--night PHOTO]"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np

from stylegraph.graph.engine import Engine
from stylegraph.graph.preset import load_preset
from stylegraph.nodes import default_registry
from stylegraph.nodes.functional.anchors import region_mask
from stylegraph.nodes.functional.channels import to_u8
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import resize
from stylegraph.presets import shipped_presets

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "images"
PHOTOS = [
    SHARED / "content" / "astronaut.png",
    SHARED / "content" / "tubingen.jpg",
    REPO / "tests" / "data" / "objects" / "rocket.jpg",
    SHARED / "content" / "coffee.png",
]
STYLE = SHARED / "styles" / "the_scream.jpg"
BACKGROUND_STYLE = SHARED / "styles" / "starry_night.jpg"
HEIGHT = 300  # px of each panel
SKY_TINT = np.array([0.15, 0.45, 1.0], np.float32)
BACKGROUND_TINT = np.array([1.0, 0.55, 0.1], np.float32)


def _panel(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    size = (round(width * HEIGHT / height), HEIGHT)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _regions(photo: np.ndarray) -> np.ndarray:
    """The photo with its sky tinted blue and the rest of its background orange."""
    sky = region_mask(photo, "sky")
    sky = np.zeros(photo.shape[:2], np.float32) if sky is None else sky
    background = np.clip(region_mask(photo, "background") - sky, 0, 1)
    out = photo * (1 - 0.5 * sky[..., None]) + 0.5 * sky[..., None] * SKY_TINT
    out = out * (1 - 0.4 * background[..., None]) + 0.4 * background[..., None] * BACKGROUND_TINT
    return np.clip(out, 0, 1)


def _run(registry, name: str, path: Path, target: str) -> np.ndarray:
    """The shipped preset ``name`` run on the photo at ``path`` up to ``target``."""
    preset = load_preset(shipped_presets()[name], registry)
    preset.set_input("content", str(path))
    preset.set_input("style", [str(STYLE)])
    if "background_style" in preset.inputs:
        preset.set_input("background_style", [str(BACKGROUND_STYLE)])
    with tempfile.TemporaryDirectory() as out:
        report = Engine().run(preset.graph, targets=[target], output_dir=out)
    if not report.ok:
        raise SystemExit(f"the {name} preset failed on {path.name}: {report.to_json()}")
    return report.outputs[target]["image"][..., :3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--night", type=Path, help="a night city photo, placed before the cup")
    args = parser.parse_args()
    photos = PHOTOS[:3] + ([args.night] if args.night else []) + PHOTOS[3:]
    registry = default_registry()
    rows: list[list[np.ndarray]] = [[], [], []]
    for path in photos:
        painting = _run(registry, "fusion", path, "fuse")
        photo = resize(read_image(path)[..., :3], *painting.shape[:2], "area")
        rows[0].append(_panel(_regions(photo)))
        rows[1].append(_panel(painting))
        rows[2].append(_panel(_run(registry, "subject-background", path, "fuse")))
    gap = np.ones((HEIGHT, 6, 3), np.float32)
    lines = [np.hstack([p for panel in row for p in (panel, gap)][:-1]) for row in rows]
    space = np.ones((6, lines[0].shape[1], 3), np.float32)
    picture = np.vstack([lines[0], space, lines[1], space, lines[2]])
    target = REPO / "docs" / "images" / "fusion-scenes.jpg"
    bgr = cv2.cvtColor(to_u8(picture), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(target), bgr, [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(target)


if __name__ == "__main__":
    main()
