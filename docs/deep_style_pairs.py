"""Re-renders docs/images/deep-style-tubingen.jpg: for two of neural-style's Tübingen pairs,
the photo, neural-style's published render and ours, side by side.

Our renders are the ones ``python -m benchmarks.deep_style`` leaves in its cache folder with
the ``deep-style`` preset's default at 512 px, so run that first (for the pairs named here);
neural-style's files come from the same place.
Run: python -m stylegraph.docs.deep_style_pairs [pair pair] (default: scream starry_scream,
the tuned pair that misses and a held-out blend)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from benchmarks.deep_style import (
    PAIRS,
    default_precision,
    neural_style_file,
    preset_plan,
    renders_dir,
)
from stylegraph.nodes.functional.channels import to_u8
from stylegraph.nodes.functional.contact_sheet import contact_sheet
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import fit_longest_side, resize

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "images" / "deep-style-tubingen.jpg"
THUMB = 320


def main(pairs: list[str]) -> None:
    photo_path = neural_style_file("examples/inputs/tubingen.jpg")
    if photo_path is None:
        raise SystemExit("neural-style's tubingen.jpg not found (see benchmarks/deep_style.py)")
    photo = read_image(photo_path)[..., :3]
    thumbs, labels = [], []
    for name in pairs:
        render_file = PAIRS[name].render
        theirs = neural_style_file(f"examples/outputs/{render_file}")
        ours = renders_dir(*preset_plan(), default_precision()) / render_file
        if theirs is None or not ours.is_file():
            raise SystemExit(f"{name}: run python -m benchmarks.deep_style --pairs {name} first")
        for image, label in (
            (photo, "photo"),
            (read_image(theirs)[..., :3], f"neural-style: {name}"),
            (read_image(ours)[..., :3], f"stylegraph: {name}"),
        ):
            thumbs.append(resize(image, *fit_longest_side(*image.shape[:2], THUMB)))
            labels.append(label)
    sheet = contact_sheet(thumbs, labels, 3)
    bgr = cv2.cvtColor(to_u8(np.asarray(sheet)), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(OUT), bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"{OUT}: {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(sys.argv[1:] or ["scream", "starry_scream"])
