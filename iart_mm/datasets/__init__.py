"""iart_mm.datasets."""
