"""Feature aligners sharing one contract: ``aligner(feat_neighbor, feat_current, flow) -> aligned``."""
