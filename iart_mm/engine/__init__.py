"""iart_mm.engine."""
