"""People in a photo as a soft mask, from MediaPipe's selfie segmentation model.

The model (``selfie_segmentation``, 256 x 256 RGB in 0..1) gives each pixel the chance
that it belongs to a person: hair, clothes, hands and what they hold. The photo is
resized to the model's square as it is (no letterbox: the model was trained on whole
frames), and the answer brought back to the photo's size along its edges by the guided
filter, as the subject mask's cut is.

Whether a photo *shows* people is decided by ``shows_people``: a face found by the face
models. The segmentation model alone cannot tell: it calls three quarters of a photo of
a cat a person with 0.9 confidence. Someone seen only from behind is not found this way;
a param forcing the person model serves that photo.

Ranges: image float32 H x W x 3 in 0..1 (H x W grey accepted); masks float32 H x W 0..1.
"""

from __future__ import annotations

import cv2
import numpy as np

from stylegraph.nodes.functional.faces import as_rgb, find_faces
from stylegraph.nodes.models.mediapipe import interpreter


def person_probability(image: np.ndarray) -> np.ndarray:
    """The model's chance of a person at each pixel of its 256 x 256 answer (float32)."""
    model = interpreter("selfie_segmentation")
    height, width = model.input_size
    picture = cv2.resize(as_rgb(image), (width, height), interpolation=cv2.INTER_AREA)
    (answer,) = model.invoke(picture)
    return np.clip(answer[0, :, :, 0], 0.0, 1.0).astype(np.float32)


def shows_people(image: np.ndarray) -> bool:
    """True when the face models find a face in the photo."""
    return bool(find_faces(image))
