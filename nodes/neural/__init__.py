"""Neural style transfer nodes (torch)."""
