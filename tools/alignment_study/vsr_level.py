"""Experiment (b): feature-level alignment inside a small IA-BasicVSR, trained per aligner on one fixed budget.

The network is the project's ``IABasicVSRNet`` (built through MMagic's MODELS) at 16 channels with few
residual blocks, fed the *exact* ground-truth LR flows of the synthetic clips instead of SPyNet's, so the
comparison isolates the aligner. Its 64-channel HR head is narrowed to 16 channels to fit the CPU budget
(the LR part, where alignment happens, is unchanged).
"""
import numpy as np
import torch
import torch.nn as nn
from mmagic.models.archs import PixelShufflePack
from mmagic.registry import MODELS

from .metrics import masked_psnr


class GTFlowIABasicVSR(nn.Module):
    """IABasicVSRNet driven by given flows.

    Args:
        aligner_cfg (dict): aligner config (its channel argument is filled by the network).
        mid_channels (int): feature channels. num_blocks (int): residual blocks per branch.
    """

    def __init__(self, aligner_cfg, mid_channels=16, num_blocks=2):
        super().__init__()
        self.net = MODELS.build(dict(type='IABasicVSRNet', mid_channels=mid_channels, num_blocks=num_blocks,
                                     aligner=aligner_cfg))
        c = mid_channels
        self.net.spynet = None  # flows are given; SPyNet's 1.4M unused parameters would only cost time
        self.net.upsample2 = PixelShufflePack(c, c, 2, upsample_kernel=3)
        self.net.conv_hr = nn.Conv2d(c, c, 3, 1, 1)
        self.net.conv_last = nn.Conv2d(c, 3, 3, 1, 1)

    def forward(self, lrs, flows_forward, flows_backward):
        """lrs (n, t, 3, h, w) in [0, 1]; flows (n, t-1, 2, h, w) as in IABasicVSRNet -> (n, t, 3, 4h, 4w)."""
        net = self.net
        queries = net.feat_query(lrs)
        fb = net.propagate(lrs, queries, flows_backward, net.backward_resblocks, backward=True)
        ff = net.propagate(lrs, queries, flows_forward, net.forward_resblocks, backward=False)
        return torch.stack([net.reconstruct(lrs[:, i], b, f) for i, (b, f) in enumerate(zip(fb, ff))], dim=1)


def train_vsr(aligner_cfg, train_set, seed, steps, batch=4, lr=2e-3):
    """Train on clips drawn from ``train_set`` = (gt, lr, flows_backward, flows_forward) tensors.

    Returns:
        tuple[GTFlowIABasicVSR, float]: the model (eval mode) and its last training loss (Charbonnier).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = GTFlowIABasicVSR(aligner_cfg)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gt, lq, fb, ff = train_set
    loss = torch.tensor(float('nan'))
    for _ in range(steps):
        idx = torch.from_numpy(rng.choice(len(gt), batch, replace=False))
        out = model(lq[idx], ff[idx], fb[idx])
        loss = torch.sqrt((out - gt[idx]) ** 2 + 1e-6).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval(), loss.item()


def evaluate_vsr(model, test_set, crop=8):
    """Mean PSNR (RGB, MAX 1, ``crop`` HR px border dropped) over all frames of all test clips.

    Returns:
        tuple[float, Tensor]: the PSNR and the outputs (n, t, 3, 4h, 4w).
    """
    gt, lq, fb, ff = test_set
    with torch.no_grad():
        out = model(lq, ff, fb)
    c = (slice(None),) * 3 + (slice(crop, -crop), slice(crop, -crop))
    return masked_psnr(out[c].flatten(0, 1), gt[c].flatten(0, 1)), out
