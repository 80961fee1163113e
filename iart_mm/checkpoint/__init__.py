"""iart_mm.checkpoint."""
