"""``IAPSRTRecurrentNet``: the released IART network (PSRT-recurrent with implicit alignment), x4 VSR.

SPyNet flows, conv_first features, then four second-order propagation branches (backward_1, forward_1,
backward_2, forward_2). Each branch step aligns its own two previous outputs to the current frame with the
configured aligner (IA by default), stacks ``[aligned n-1, current, aligned n-2]`` and refines it with the
branch's 3-frame window Swin backbone. forward_2's features are upsampled x4 and added to the bilinear
upsampled input.

This is the model as written (training, export). A no-grad forward in eval mode runs the same function through
:mod:`.inference` (window-order Swin blocks, a banded upsampler, the C++ attention op where usable) unless
``IART_MM_FAST_INFERENCE=0`` or :func:`.inference.set_fast_inference` turns it off.

Fixes to the release (docs/release_differences.md, 'IART network'): backbones are built without CUDA; the
mirror-extension flag is recomputed per call; the CPU feature cache moves tensors to the input's device (works
with no GPU, and with mirror-extended clips); ``window_size`` may be a tuple; the release's unused per-branch
convs are dropped.
"""
import torch
import torch.nn as nn
from mmagic.models.editors.basicvsr.basicvsr_net import SPyNet
from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS
from mmengine.model import BaseModule

from .inference import inference_runner
from .swin_backbone import WindowSwinBackbone

BRANCHES = ('backward_1', 'forward_1', 'backward_2', 'forward_2')
MIN_LR_SIZE = 64


@MODELS.register_module()
class IAPSRTRecurrentNet(BaseModule):
    """IART network: input (n, t, 3, h, w) RGB in [0, 1], h, w >= 64; output (n, t, 3, 4h, 4w).

    Args:
        in_channels (int): Image channels. Default: 3.
        mid_channels (int): Channels of the upsampler. Default: 64.
        embed_dim (int): Feature channels C of propagation. Default: 120.
        depths (Sequence[int]): Swin blocks per residual group. Default: (6, 6, 6).
        num_heads (Sequence[int]): Heads per group. Default: (6, 6, 6).
        window_size (Sequence[int]): (t, h, w) attention window. Default: (3, 8, 8).
        num_frames (int): Frames in the backbone's stack; must be 3. Default: 3.
        mlp_ratio (float): Swin MLP width / C. Default: 2.
        drop_path_rate (float): Stochastic depth of the backbones. Default: 0.1.
        spynet_pretrained (str | None): Local path of MMagic-layout SPyNet weights. Default: None.
        cpu_cache_length (int): Clips longer than this keep per-frame features on the CPU. Default: 100.
        use_checkpoint (bool): Per-Swin-block gradient checkpointing (non-reentrant) in training.
        aligner (dict | None): Aligner config for ``MODELS.build``; any ``aligner(feat_neighbor, feat_current,
            flow)``. Default: ``ImplicitWarp(dim=embed_dim, num_heads=num_heads[0], pe_dim=embed_dim,
            pe_temp=0.01)``.
        upsample_tile_rows (int): LR rows per band of the x4 upsampler in fast inference (memory only: the
            output is the same). Default: 32.
    """

    def __init__(self,
                 in_channels=3,
                 mid_channels=64,
                 embed_dim=120,
                 depths=(6, 6, 6),
                 num_heads=(6, 6, 6),
                 window_size=(3, 8, 8),
                 num_frames=3,
                 mlp_ratio=2.,
                 drop_path_rate=0.1,
                 spynet_pretrained=None,
                 cpu_cache_length=100,
                 use_checkpoint=True,
                 aligner=None,
                 upsample_tile_rows=32,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_frames != 3:
            raise ValueError(f'num_frames must be 3 (the [n-1, current, n-2] stack), got {num_frames}')
        self.in_channels = in_channels
        self.mid_channels = mid_channels
        self.embed_dim = embed_dim
        self.cpu_cache_length = cpu_cache_length
        if aligner is None:
            aligner = dict(type='ImplicitWarp', dim=embed_dim, num_heads=num_heads[0], pe_dim=embed_dim,
                           pe_temp=0.01)
        # Registration order follows the release so state_dict keys line up in order too.
        self.conv_before_upsample = nn.Conv2d(embed_dim, mid_channels, 3, 1, 1)
        self.spynet = SPyNet(pretrained=spynet_pretrained)
        self.conv_first = nn.Conv2d(in_channels, embed_dim, 3, 1, 1)
        self.swin_backbone = nn.ModuleDict({
            name: WindowSwinBackbone(embed_dim, depths, num_heads, window_size, mlp_ratio, drop_path_rate,
                                     use_checkpoint)
            for name in BRANCHES
        })
        self.upconv1 = nn.Conv2d(mid_channels, mid_channels * 4, 3, 1, 1)
        self.upconv2 = nn.Conv2d(mid_channels, 64 * 4, 3, 1, 1)
        self.pixel_shuffle = nn.PixelShuffle(2)
        self.conv_hr = nn.Conv2d(64, 64, 3, 1, 1)
        self.conv_last = nn.Conv2d(64, 3, 3, 1, 1)
        self.img_upsample = nn.Upsample(scale_factor=4, mode='bilinear', align_corners=False)
        self.lrelu = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        self.aligner = MODELS.build(aligner)
        self.upsample_tile_rows = upsample_tile_rows

    @staticmethod
    def is_mirror_extended(lqs):
        """True when t is even and the second half of the clip is the reversed first half."""
        t = lqs.size(1)
        if t % 2 != 0:
            return False
        first, second = torch.chunk(lqs, 2, dim=1)
        return bool(torch.equal(first, second.flip(1)))

    def compute_flow(self, lqs, mirror):
        """SPyNet flows of a clip (n, t, 3, h, w).

        Returns (flows_forward, flows_backward), each (n, t-1, 2, h, w): ``flows_backward[:, i]`` maps frame i
        to frame i+1, ``flows_forward[:, i]`` maps frame i+1 to frame i (ch0 dx, ch1 dy, pixels). For a
        mirror-extended clip the forward flows are the flipped backward ones.
        """
        n, t, c, h, w = lqs.size()
        lqs_1 = lqs[:, :-1].reshape(-1, c, h, w)
        lqs_2 = lqs[:, 1:].reshape(-1, c, h, w)
        flows_backward = self.spynet(lqs_1, lqs_2).view(n, t - 1, 2, h, w)
        if mirror:
            flows_forward = flows_backward.flip(1)
        else:
            flows_forward = self.spynet(lqs_2, lqs_1).view(n, t - 1, 2, h, w)
        return flows_forward, flows_backward

    def propagate(self, feats_in, flows, branch, device, cache, runner=None):
        """One branch over the clip.

        Args:
            feats_in (list[Tensor]): The previous branch's per-frame features, each (n, C, h, w), time order.
            flows (Tensor): (n, t-1, 2, h, w): flows_backward for backward branches, flows_forward otherwise.
            branch (str): One of ``BRANCHES``.
            device: Where the computation runs.
            cache (bool): Keep the per-frame outputs on the CPU.
            runner (InferenceRunner | None): Runs the backbone in fast inference; None: the model as written.

        Returns:
            list[Tensor]: This branch's per-frame outputs (n, C, h, w), time order.
        """
        t = len(feats_in)
        backward = branch.startswith('backward')
        frame_idx = range(t - 1, -1, -1) if backward else range(t)
        props = []
        for k, idx in enumerate(frame_idx):
            feat_cur = feats_in[idx].to(device)
            if k == 0:
                cond = torch.stack([feat_cur, feat_cur, feat_cur], dim=1)
            else:
                # flow from idx to the previously visited frame, and from that frame to the one before it
                flow_n1 = (flows[:, idx] if backward else flows[:, idx - 1]).to(device)
                cond_n1 = self.aligner(props[k - 1].to(device), feat_cur, flow_n1)
                if k == 1:
                    cond_n2 = torch.zeros_like(feat_cur)
                else:
                    flow_prev = (flows[:, idx + 1] if backward else flows[:, idx - 2]).to(device)
                    flow_n2 = flow_n1 + flow_warp(flow_prev, flow_n1.permute(0, 2, 3, 1))
                    cond_n2 = self.aligner(props[k - 2].to(device), feat_cur, flow_n2)
                cond = torch.stack([cond_n1, feat_cur, cond_n2], dim=1)
            backbone = self.swin_backbone[branch]
            feat = runner.backbone(backbone, cond) if runner is not None else backbone(cond)
            props.append(feat.cpu() if cache else feat)
        return props[::-1] if backward else props

    def reconstruct(self, feat):
        """The x4 residual of one frame's features (n, C, h, w) -> (n, 3, 4h, 4w) (no image skip)."""
        hr = self.conv_before_upsample(feat)
        hr = self.lrelu(self.pixel_shuffle(self.upconv1(hr)))
        hr = self.lrelu(self.pixel_shuffle(self.upconv2(hr)))
        return self.conv_last(self.lrelu(self.conv_hr(hr)))

    def upsample(self, lqs, feats, cache, runner=None):
        """Reconstruct (n, t, 3, 4h, 4w) from per-frame features (n, C, h, w) and the input clip: each frame's
        x4 residual plus its bilinear x4 upsampling (``runner``: in bands, into one preallocated output)."""
        if runner is not None:
            out_device = torch.device('cpu') if cache else lqs.device
            n, t, _, h, w = lqs.shape
            return runner.upsample(self, lqs, feats, lqs.new_empty((n, t, 3, 4 * h, 4 * w), device=out_device))
        frames = []
        for i, feat in enumerate(feats):
            frame = self.reconstruct(feat.to(lqs.device)) + self.img_upsample(lqs[:, i])
            frames.append(frame.cpu() if cache else frame)
        return torch.stack(frames, dim=1)

    def forward(self, lqs, return_flows=False):
        """Super-resolve a clip.

        Args:
            lqs (Tensor): (n, t, 3, h, w), RGB in [0, 1], h and w >= 64, t >= 2.
            return_flows (bool): Also return ``(flows_forward, flows_backward)`` (n, t-1, 2, h, w).

        Returns:
            Tensor: (n, t, 3, 4h, 4w) (on the CPU when the clip is longer than ``cpu_cache_length``).
        """
        n, t, c, h, w = lqs.size()
        if h < MIN_LR_SIZE or w < MIN_LR_SIZE:
            raise ValueError(f'IAPSRTRecurrentNet needs LR frames of at least {MIN_LR_SIZE}x{MIN_LR_SIZE} '
                             f'(SPyNet pyramid), got {h}x{w}')
        if t < 2:
            raise ValueError(f'IAPSRTRecurrentNet needs at least 2 frames, got {t}')
        device = lqs.device
        cache = t > self.cpu_cache_length
        runner = inference_runner(self, lqs)  # None: the model as written (training, autograd, export)
        mirror = self.is_mirror_extended(lqs)

        spatial = self.conv_first(lqs.reshape(-1, c, h, w)).view(n, t, -1, h, w)
        feats = [spatial[:, i].cpu() if cache else spatial[:, i] for i in range(t)]
        del spatial
        flows_forward, flows_backward = self.compute_flow(lqs, mirror)
        if cache:
            flows_forward, flows_backward = flows_forward.cpu(), flows_backward.cpu()
        for branch in BRANCHES:
            flows = flows_backward if branch.startswith('backward') else flows_forward
            feats = self.propagate(feats, flows, branch, device, cache, runner)
        out = self.upsample(lqs, feats, cache, runner)
        if return_flows:
            return out, (flows_forward, flows_backward)
        return out

