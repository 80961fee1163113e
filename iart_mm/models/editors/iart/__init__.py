"""IART: ``IAPSRTRecurrentNet`` (the released network) and its 3-frame window-attention Swin backbone."""
from .iapsrt_recurrent_net import IAPSRTRecurrentNet
from .swin_backbone import WindowSwinBackbone

__all__ = ['IAPSRTRecurrentNet', 'WindowSwinBackbone']
