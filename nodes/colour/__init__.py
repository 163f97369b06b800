"""Colour transfer and adjustments."""
