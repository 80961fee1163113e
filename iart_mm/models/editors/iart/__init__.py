"""iart."""
