"""Re-renders docs/images/styles-grid.jpg: two photos, each in five paintings with the
`quick-stylize` preset's style.transfer params, as labelled contact sheets stacked.
Run: python -m stylegraph.docs.styles_grid (from a checkout beside ../shared/images)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from stylegraph.nodes.functional.channels import to_u8
from stylegraph.nodes.functional.image_io import read_image
from stylegraph.nodes.functional.resize import fit_longest_side, resize
from stylegraph.nodes.models import fast_style
from stylegraph.nodes.models.device import pick_device
from stylegraph.nodes.neural.sweep import contact_sheet

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO.parent / "shared" / "images"
STYLES = ("starry_night", "the_scream", "shipwreck", "woman-with-hat-matisse", "gravel")
PHOTOS = ("tubingen.jpg", "astronaut.png")


def main() -> None:
    preset = json.loads((REPO / "presets" / "quick-stylize.json").read_text())
    params = preset["nodes"]["paint"]["params"]
    device = pick_device("auto")
    paths = {p.stem: p for p in (IMAGES / "styles").iterdir()}
    styles = [read_image(paths[name])[..., :3] for name in STYLES]
    sheets = []
    for name in PHOTOS:
        photo = read_image(IMAGES / "content" / name)[..., :3]
        renders = [photo] + [
            fast_style.stylize(
                photo,
                [style],
                device,
                output_size=params["output_size"],
                stroke_scale=params.get("stroke_scale", 1.0),
                detail=params.get("detail", 0.0),
            )
            for style in styles
        ]
        thumbs = [resize(r, *fit_longest_side(*r.shape[:2], 240)) for r in renders]
        sheets.append(contact_sheet(thumbs, ["photo", *STYLES], len(thumbs)))
    width = max(s.shape[1] for s in sheets)
    grid = np.concatenate(
        [np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0)), constant_values=1) for s in sheets]
    )
    bgr = cv2.cvtColor(to_u8(grid), cv2.COLOR_RGB2BGR)
    cv2.imwrite(
        str(REPO / "docs" / "images" / "styles-grid.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 85]
    )


if __name__ == "__main__":
    main()
