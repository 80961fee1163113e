"""iart_mm.video."""
