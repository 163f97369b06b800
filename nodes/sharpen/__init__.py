"""Sharpening and edge emphasis."""
