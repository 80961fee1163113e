"""ia_basicvsr."""
