"""Experiment (a): image-level alignment with known flow, and the image-level IA ablations of (d).

The neighbour RGB frame is warped onto the current frame with the ground-truth flow and scored by PSNR
against the true current frame on non-occluded pixels. Fixed resamplers (nearest, bilinear, bicubic, PA, NA)
run on the RGB frame directly. IA is a learned resampler: a 1x1 conv lifts RGB to ``dim`` channels, the
ImplicitWarp attends over its window, and a 1x1 conv projects back to RGB. 1x1 convs mix channels only, so all
spatial resampling happens inside the aligner. Its query gets **no** current-frame content (zeros): the target
must not leak into the resampler, so the query carries only the positional encoding of the sub-pixel offset.
"""
import numpy as np
import torch
import torch.nn as nn

from . import aligner_zoo
from .data import inside_mask, random_translation_pairs, source_images
from .metrics import masked_psnr


class LearnedResampler(nn.Module):
    """RGB -> (1x1 lift) -> aligner -> (1x1 proj) -> RGB; all spatial resampling is the aligner's.

    Args:
        aligner_cfg (dict): aligner config without its channel argument (see ``aligner_zoo``).
        dim (int): feature channels inside the aligner.
    """

    def __init__(self, aligner_cfg, dim=16):
        super().__init__()
        self.lift = nn.Conv2d(3, dim, 1)
        self.aligner = aligner_zoo.build(aligner_cfg, dim)
        self.proj = nn.Conv2d(dim, 3, 1)
        self._init_as_window_mean(dim)

    def _init_as_window_mean(self, dim):
        """Start near the mean of the window's pixels: lift tiles RGB, v is identity, proj averages the tiles.

        From a random start the colour path alone takes hundreds of steps to learn, which the CPU budget
        cannot afford; this start leaves only the interpolation weights (the implicit part) to learn.
        """
        tile = torch.zeros(dim, 3)
        tile[torch.arange(dim), torch.arange(dim) % 3] = 1.0
        with torch.no_grad():
            self.lift.weight.copy_(tile[:, :, None, None])
            self.lift.bias.zero_()
            self.proj.weight.copy_((tile / tile.sum(0)).t()[:, :, None, None])
            self.proj.bias.zero_()
            v = getattr(self.aligner, 'v', None)
            if isinstance(v, nn.Linear) and v.in_features == v.out_features:
                v.weight.copy_(torch.eye(dim))
                # cancel the mean key PE that the values carry, so the start is an unbiased window mean
                pe = getattr(self.aligner, 'position_bias', None)
                v.bias.copy_(-pe.reshape(-1, dim).mean(0) if pe is not None and pe.shape[-1] == dim else 0)

    def forward(self, neighbour, flow):
        """neighbour (n, 3, h, w) in [0, 1], flow (n, 2, h, w) current -> neighbour -> (n, 3, h, w)."""
        feat = self.lift(neighbour)
        query = torch.zeros_like(feat)  # no target content may reach the resampler
        return self.proj(self.aligner(feat, query, flow))


def train_resampler(aligner_cfg, pool, seed, steps, batch=8, dim=16, lr=5e-3):
    """Train a :class:`LearnedResampler` (L1 on pixels whose sample point is inside the frame).

    Args:
        pool (tuple[Tensor, Tensor, Tensor]): exact translation pairs (current, neighbour, flow) from
            ``random_translation_pairs``, shared by every model so all see the same data.

    Returns:
        tuple[LearnedResampler, float]: the model (eval mode) and its last training loss.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = LearnedResampler(aligner_cfg, dim)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    cur_all, nb_all, flow_all = pool
    mask_all = inside_mask(flow_all, margin=1.0).expand_as(cur_all)
    loss = torch.tensor(float('nan'))
    for _ in range(steps):
        idx = torch.from_numpy(rng.choice(len(cur_all), batch, replace=False))
        loss = (model(nb_all[idx], flow_all[idx]) - cur_all[idx]).abs()[mask_all[idx]].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval(), loss.item()


def warp_rgb(aligner, pair):
    """Align ``pair.neighbour`` onto ``pair.current`` with a parameter-free aligner -> (1, 3, h, w)."""
    with torch.no_grad():
        return aligner(pair.neighbour, pair.current, pair.flow)


def score(outputs, pairs):
    """Mean masked PSNR over pairs (outputs aligned with ``pairs``)."""
    return float(np.mean([masked_psnr(o, p.current, p.valid) for o, p in zip(outputs, pairs)]))


def run_image_level(data_dir, test_sets, seeds, steps, pool_size=256, variants=None, log=print):
    """Run (a) and the image-level part of (d).

    Args:
        test_sets (dict[str, list[Pair]]): named lists of pairs to score on.
        seeds (list[int]): seeds for the learned resamplers.
        steps (int): training steps per learned resampler.
        pool_size (int): training pairs (48 x 48, exact 1/8 px translations of the Vid4 training clips).
        variants (list[str] | None): names of ``aligner_zoo.IA_ABLATIONS`` to train (default: all).

    Returns:
        tuple[dict, dict]: ``psnr[method][set] -> list of per-seed PSNRs`` (one value for fixed
        resamplers), and ``outputs[method][set] -> list of (1, 3, h, w)`` aligned frames (first seed).
    """
    psnr, outputs = {}, {}
    for name in aligner_zoo.IMAGE_LEVEL_FIXED:
        cfg = aligner_zoo.ALIGNERS[name]
        if not aligner_zoo.is_available(cfg):
            log(f'  (a) {name}: aligner {cfg["type"]} not registered, skipped')
            continue
        aligner = aligner_zoo.build(cfg, 3).eval()
        outputs[name] = {s: [warp_rgb(aligner, p) for p in pairs] for s, pairs in test_sets.items()}
        psnr[name] = {s: [score(outputs[name][s], pairs)] for s, pairs in test_sets.items()}
        log(f'  (a) {name}: ' + ', '.join(f'{s} {v[0]:.2f} dB' for s, v in psnr[name].items()))

    pool = random_translation_pairs(source_images(data_dir, 'train'), pool_size, (48, 48), 8, 3.0,
                                    np.random.default_rng(1234))
    for name in variants or list(aligner_zoo.IA_ABLATIONS):
        extra = aligner_zoo.IA_ABLATIONS[name]
        cfg = dict(aligner_zoo.ALIGNERS['IA'], **aligner_zoo.IA_RESAMPLER_OPTIONS, **extra)
        if not aligner_zoo.is_available(cfg):
            log(f'  (a) {name}: aligner {cfg["type"]} not registered, skipped')
            continue
        psnr[name] = {s: [] for s in test_sets}
        for seed in seeds:
            model, last = train_resampler(cfg, pool, seed, steps)
            with torch.no_grad():
                outs = {s: [model(p.neighbour, p.flow) for p in pairs] for s, pairs in test_sets.items()}
            for s, pairs in test_sets.items():
                psnr[name][s].append(score(outs[s], pairs))
            if name not in outputs:
                outputs[name] = outs
            log(f'  (a) {name} seed {seed}: train L1 {last:.4f}; ' +
                ', '.join(f'{s} {v[-1]:.2f} dB' for s, v in psnr[name].items()))
    return psnr, outputs
