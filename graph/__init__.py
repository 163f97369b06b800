"""The graph model and its engine: no Dear PyGui, no torch."""
