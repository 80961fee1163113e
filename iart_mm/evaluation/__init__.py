"""iart_mm.evaluation."""
