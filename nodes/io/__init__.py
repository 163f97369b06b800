"""Nodes that read and write files."""
