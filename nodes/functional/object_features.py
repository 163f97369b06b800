"""A picture of what things are, not only of their colours, for GrabCut to cut in.

GrabCut (``cut_pieces.grabcut_from_seeds``) fits colour mixtures to the subject and the
background and cuts along colour edges; where the subject shares colours with what is
behind it (a cup's red saucer on a brown table, a tabby's fur against a tan cushion)
the mixtures overlap and the cut wanders. VGG-19's ``relu4_4`` features (the network
the project already ships for style transfer, read offline) tell such surfaces apart
by their texture and shape at about 8 px resolution. ``feature_picture`` joins those
features, brought to the working size, with the CIELAB colour (weighted equally after
normalising each by its mean length) and keeps the three strongest principal
components as a three-channel picture in 0..1, which GrabCut then reads in place of
the photo: its mixtures model what things are and its edges follow both colour and
texture changes.

The photo is padded by reflection before the network sees it, so the zero padding of
the network's convolutions does not make the frame's own features look unlike
everything inside (which would call the whole middle "unlike the frame").

Ranges: ``small`` float32 H x W x 3 RGB in 0..1 at the subject mask's working size;
the picture float32 H x W x 3 in 0..1; ``features`` gives None where the VGG-19
weights are not installed (the caller then cuts in colour alone).

``frame_contrast`` reads the same features for how unlike the frame's surfaces each
place is: a plain wall lit brighter behind a clock, or shelves beside a motorcycle,
share the frame's texture though not its exact colour, so the subject mask does not
take them as "surely subject" on colour contrast alone.
"""

from __future__ import annotations

import cv2
import numpy as np

FEATURE_SIZE = 160  # px along the longest side at which the network reads the photo
LAYER = "relu4_4"
STRIDE = 8  # relu4_4 is 1/8 of its input
PAD = 32  # px of reflected border round the network's input (a multiple of STRIDE)
COMPONENTS = 3
FRAME_BAND = 0.03  # share of the shorter side taken as the frame's strips


def features(small: np.ndarray) -> np.ndarray | None:
    """VGG-19 ``relu4_4`` of ``small`` (read at ``FEATURE_SIZE``), C x h x w on the
    network's own grid (one cell per 8 px there), or None where the weights are not
    installed."""
    import torch

    from stylegraph.nodes.models.caffe_vgg import VGGWeightsMissing
    from stylegraph.nodes.models.vgg import ORIGINAL, load_vgg19, to_pixels

    try:
        net = load_vgg19(ORIGINAL, "cpu")
    except VGGWeightsMissing:
        return None
    height, width = small.shape[:2]
    scale = FEATURE_SIZE / max(height, width)
    size = (max(STRIDE * 4, round(width * scale)), max(STRIDE * 4, round(height * scale)))
    picture = cv2.resize(small, size, interpolation=cv2.INTER_AREA)
    padded = cv2.copyMakeBorder(picture, PAD, PAD, PAD, PAD, cv2.BORDER_REFLECT)
    tensor = torch.from_numpy(np.ascontiguousarray(padded, np.float32)).permute(2, 0, 1)[None]
    with torch.no_grad():
        found = net(to_pixels(tensor), {LAYER})[LAYER]
    trim = PAD // STRIDE
    return found[0, :, trim : found.shape[2] - trim, trim : found.shape[3] - trim].numpy()


def frame_contrast(found: np.ndarray, height: int, width: int) -> np.ndarray:
    """How unlike the frame's surfaces each place is, 0..1, at ``height`` x ``width``
    (from C x h x w features, ``features``): on the network's grid, one minus the
    mean cosine similarity to the tenth of the frame's outermost cells most like it,
    scaled so the most unlike place is 1, then brought to the size asked for."""
    channels, rows, cols = found.shape
    flat = found.reshape(channels, -1).T
    flat = flat / (np.linalg.norm(flat, axis=1, keepdims=True) + 1e-6)
    band = max(1, round(FRAME_BAND * min(rows, cols)))
    frame = np.zeros((rows, cols), bool)
    frame[:band] = frame[-band:] = frame[:, :band] = frame[:, -band:] = True
    border = flat[frame.ravel()]
    similar = flat @ border.T
    nearest = max(1, border.shape[0] // 10)
    alike = np.partition(similar, similar.shape[1] - nearest, axis=1)[:, -nearest:].mean(axis=1)
    unlike = cv2.resize((1.0 - alike).reshape(rows, cols).astype(np.float32), (width, height))
    unlike -= unlike.min()
    return (unlike / max(float(unlike.max()), 1e-9)).astype(np.float32)


def feature_picture(small: np.ndarray, found: np.ndarray) -> np.ndarray:
    """The photo (``small``, RGB 0..1) as three channels (0..1) of what its surfaces
    are: the strongest principal components of its VGG-19 features (``found``, from
    ``features``) and CIELAB colour, each normalised by its mean length; see the
    module's docstring. The components are found on the network's grid (colour
    averaged to it) and the features' part of each is brought to the photo's size
    after projecting (projection and bilinear scaling commute), so 512 channels are
    never scaled up."""
    rgb = np.ascontiguousarray(small[..., :3], np.float32)
    height, width = rgb.shape[:2]
    channels, rows, cols = found.shape
    deep = found.reshape(channels, -1).T
    deep = deep / (np.linalg.norm(deep, axis=1).mean() + 1e-6)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
    lab = lab / (np.linalg.norm(lab - lab.mean(axis=(0, 1)), axis=2).mean() + 1e-6)
    lab_grid = cv2.resize(lab, (cols, rows), interpolation=cv2.INTER_AREA).reshape(-1, 3)
    joined = np.concatenate([deep, lab_grid], axis=1)
    mean = joined.mean(axis=0)
    joined -= mean
    _, axes = np.linalg.eigh(joined.T @ joined)  # ascending: the strongest are last
    axes = axes[:, -COMPONENTS:].astype(np.float32)
    deep_part = ((deep - mean[:channels]) @ axes[:channels]).reshape(rows, cols, COMPONENTS)
    deep_part = cv2.resize(deep_part.astype(np.float32), (width, height))
    lab_part = (lab.reshape(-1, 3) - mean[channels:]) @ axes[channels:]
    components = deep_part.reshape(-1, COMPONENTS) + lab_part
    low = np.percentile(components, 1, axis=0)
    high = np.percentile(components, 99, axis=0)
    scaled = np.clip((components - low) / np.maximum(high - low, 1e-9), 0.0, 1.0)
    return scaled.reshape(height, width, COMPONENTS).astype(np.float32)
