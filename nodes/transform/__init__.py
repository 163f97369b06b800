"""Nodes that change an image's size or geometry."""
