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

    def forward(self, neighbour, flow):
        """neighbour (n, 3, h, w) in [0, 1], flow (n, 2, h, w) current -> neighbour -> (n, 3, h, w)."""
        feat = self.lift(neighbour)
        query = torch.zeros_like(feat)  # no target content may reach the resampler
        return self.proj(self.aligner(feat, query, flow))


def train_resampler(aligner_cfg, images, seed, steps, batch=8, size=(48, 48), r=8, max_shift=3.0, dim=16,
                    lr=2e-3):
    """Train a :class:`LearnedResampler` on exact random translations of ``images`` (1/r px offsets).

    Returns:
        tuple[LearnedResampler, float]: the model (eval mode) and its last training loss (L1).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = LearnedResampler(aligner_cfg, dim)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    loss = torch.tensor(float('nan'))
    for _ in range(steps):
        cur, nb, flow = random_translation_pairs(images, batch, size, r, max_shift, rng)
        mask = inside_mask(flow, margin=1.0).expand_as(cur)
        loss = (model(nb, flow) - cur).abs()[mask].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval(), float(loss)


def warp_rgb(aligner, pair):
    """Align ``pair.neighbour`` onto ``pair.current`` with a parameter-free aligner -> (1, 3, h, w)."""
    with torch.no_grad():
        return aligner(pair.neighbour, pair.current, pair.flow)


def score(outputs, pairs):
    """Mean masked PSNR over pairs (outputs aligned with ``pairs``)."""
    return float(np.mean([masked_psnr(o, p.current, p.valid) for o, p in zip(outputs, pairs)]))


def run_image_level(data_dir, test_sets, seeds, steps, log=print):
    """Run (a) and the image-level part of (d).

    Args:
        test_sets (dict[str, list[Pair]]): named lists of pairs to score on.
        seeds (list[int]): seeds for the learned resamplers.
        steps (int): training steps per learned resampler.

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

    train_images = source_images(data_dir, 'train')
    for name, extra in aligner_zoo.IA_ABLATIONS.items():
        cfg = dict(aligner_zoo.ALIGNERS['IA'], **extra)
        if not aligner_zoo.is_available(cfg):
            log(f'  (a) {name}: aligner {cfg["type"]} not registered, skipped')
            continue
        psnr[name] = {s: [] for s in test_sets}
        for seed in seeds:
            model, last = train_resampler(cfg, train_images, seed, steps)
            with torch.no_grad():
                outs = {s: [model(p.neighbour, p.flow) for p in pairs] for s, pairs in test_sets.items()}
            for s, pairs in test_sets.items():
                psnr[name][s].append(score(outs[s], pairs))
            if name not in outputs:
                outputs[name] = outs
            log(f'  (a) {name} seed {seed}: train L1 {last:.4f}; ' +
                ', '.join(f'{s} {v[-1]:.2f} dB' for s, v in psnr[name].items()))
    return psnr, outputs
