"""Painterly and cleaning filters for the base layer."""
