"""Re-renders docs/images/subject-mask.jpg: a photo, its subject mask (mask.subject at
its defaults, the photo dimmed outside it) and the shipped `fusion` preset, which paints
the background and keeps the subject, on the astronaut with Starry Night.
Run: python -m stylegraph.docs.subject_picture (from a checkout beside ../shared/images)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

from stylegraph.graph.engine import Engine
from stylegraph.graph.preset import load_preset
from stylegraph.nodes import default_registry
from stylegraph.nodes.functional.channels import to_u8
from stylegraph.nodes.functional.subject import select_subject
from stylegraph.presets import shipped_presets

REPO = Path(__file__).resolve().parent.parent
IMAGES = REPO.parent / "shared" / "images"
PHOTO = IMAGES / "content" / "astronaut.png"
STYLE = IMAGES / "styles" / "starry_night.jpg"


def main() -> None:
    registry = default_registry()
    preset = load_preset(shipped_presets()["fusion"], registry)
    preset.graph.set_param("photo", "path", str(PHOTO))
    preset.graph.set_param("render", "style_files", [str(STYLE)])
    with tempfile.TemporaryDirectory() as out:
        report = Engine().run(preset.graph, targets=["fuse", "shrink"], output_dir=out)
    if not report.ok:
        raise SystemExit(f"the fusion preset failed: {report.to_json()}")
    photo = report.outputs["shrink"]["image"][..., :3]
    fused = report.outputs["fuse"]["image"][..., :3]
    mask = select_subject(photo)[0][..., None]
    cut_out = photo * (0.25 + 0.75 * mask) + np.array([0.0, 0.0, 0.35]) * (1.0 - mask) * 0.4
    gap = np.ones((photo.shape[0], 8, 3), np.float32)
    strip = np.concatenate([photo, gap, np.clip(cut_out, 0, 1), gap, fused], axis=1)
    bgr = cv2.cvtColor(to_u8(strip), cv2.COLOR_RGB2BGR)
    target = REPO / "docs" / "images" / "subject-mask.jpg"
    cv2.imwrite(str(target), bgr, [cv2.IMWRITE_JPEG_QUALITY, 82])


if __name__ == "__main__":
    main()
