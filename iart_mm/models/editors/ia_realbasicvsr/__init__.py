"""ia_realbasicvsr."""
