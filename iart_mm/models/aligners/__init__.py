"""Feature aligners sharing one contract: ``aligner(feat_neighbor, feat_current, flow) -> aligned``.

``feat_neighbor`` and ``feat_current`` are (n, c, h, w); ``flow`` is (n, 2, h, w) in pixels, channel 0 = dx,
channel 1 = dy, mapping a current-frame pixel to its position in the neighbour; the result is (n, c, h, w).
Every aligner is registered in ``mmagic.registry.MODELS``; those with weights take their channel count as
``dim`` (``ImplicitWarp``, ``FlowGuidedDeformAlign``, ``FlowGuidedDeformAttention``), the parameter-free ones
(``NoAlign``, ``FlowWarp``, ``PatchAlign``) work for any c.
"""
from .flow_guided_deform_align import FlowGuidedDeformAlign
from .flow_guided_deform_attention import FlowGuidedDeformAttention
from .flow_warp import FlowWarp, NoAlign, PatchAlign
from .implicit_warp import ImplicitWarp

__all__ = [
    'ImplicitWarp', 'NoAlign', 'FlowWarp', 'PatchAlign', 'FlowGuidedDeformAlign', 'FlowGuidedDeformAttention'
]
