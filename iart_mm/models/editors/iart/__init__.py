"""IART: ``IAPSRTRecurrentNet`` (the released network), its 3-frame window-attention Swin backbone, and the
switch of its fast no-grad inference path."""
from .iapsrt_recurrent_net import IAPSRTRecurrentNet
from .inference import fast_inference, set_fast_inference, use_fast_inference
from .swin_backbone import WindowSwinBackbone

__all__ = ['IAPSRTRecurrentNet', 'WindowSwinBackbone', 'fast_inference', 'set_fast_inference', 'use_fast_inference']
