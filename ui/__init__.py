"""The Dear PyGui editor: a view over the graph model."""
