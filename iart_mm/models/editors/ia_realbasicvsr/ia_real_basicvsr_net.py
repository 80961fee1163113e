"""IARealBasicVSRNet: MMagic's RealBasicVSRNet (image cleaning module + recurrent SR) on IABasicVSRNet.

The cleaning module, the cleaning loop and the frozen SPyNet come from RealBasicVSRNet unchanged; only the
recurrent part is swapped for :class:`IABasicVSRNet`. A RealBasicVSR checkpoint therefore loads with only
``basicvsr.aligner.*`` and ``basicvsr.feat_query.*`` new.
"""
from mmagic.models.editors.real_basicvsr.real_basicvsr_net import RealBasicVSRNet
from mmagic.registry import MODELS

from ..ia_basicvsr import IABasicVSRNet


@MODELS.register_module()
class IARealBasicVSRNet(RealBasicVSRNet):
    """RealBasicVSR with implicit (or any pluggable) alignment.

    Args:
        mid_channels (int): feature channels. Default: 64.
        num_propagation_blocks (int): residual blocks per propagation branch. Default: 20.
        num_cleaning_blocks (int): residual blocks of the cleaning module. Default: 20.
        dynamic_refine_thres (int): stop cleaning when the mean |residue| (0-255 scale) is below this.
            Default: 255 (clean once; RealBasicVSR tests with 5).
        spynet_pretrained (str | None): SPyNet checkpoint (path or URL). Default: None.
        is_fix_cleaning (bool): freeze the cleaning module. Default: False.
        is_sequential_cleaning (bool): clean frame by frame to save memory. Default: False.
        aligner (dict | None): aligner config for IABasicVSRNet. Default: None (IABasicVSRNet's default).
    """

    def __init__(self, mid_channels=64, num_propagation_blocks=20, num_cleaning_blocks=20,
                 dynamic_refine_thres=255, spynet_pretrained=None, is_fix_cleaning=False,
                 is_sequential_cleaning=False, aligner=None):
        # the parent's plain BasicVSRNet is replaced below; build it without weights to avoid a download
        super().__init__(mid_channels=mid_channels, num_propagation_blocks=num_propagation_blocks,
                         num_cleaning_blocks=num_cleaning_blocks, dynamic_refine_thres=dynamic_refine_thres,
                         spynet_pretrained=None, is_fix_cleaning=is_fix_cleaning,
                         is_sequential_cleaning=is_sequential_cleaning)
        self.basicvsr = IABasicVSRNet(mid_channels, num_propagation_blocks, spynet_pretrained, aligner=aligner)
        # RealBasicVSR never trains SPyNet (degraded inputs would corrupt the flow estimator)
        self.basicvsr.spynet.requires_grad_(False)
