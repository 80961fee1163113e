"""iart_mm.apis."""
