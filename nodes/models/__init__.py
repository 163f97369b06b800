"""Neural networks behind the neural nodes (torch). Imported only when such a node runs."""
