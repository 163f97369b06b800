"""Masks: build, refine and combine them."""
