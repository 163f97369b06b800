"""Pure functions on arrays behind the nodes (scikit-image style).

Images are float32 H x W x C (C = 3 RGB or 4 RGBA), values 0..1; masks are float32 H x W,
values 0..1. Functions never modify their inputs.
"""
