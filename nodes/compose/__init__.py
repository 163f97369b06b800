"""Compositing: blend modes and layer stacks."""
