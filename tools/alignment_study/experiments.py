"""Runs experiments (a)-(d) of the study with one budget and collects every number in a dict."""
import time

import numpy as np
import torch

from . import aligner_zoo, data, spectrum
from .image_level import run_image_level
from .metrics import masked_psnr
from .vsr_level import evaluate_vsr, train_vsr


def _sintel_pairs(data_dir, crop_w):
    """The three Sintel GT-flow pairs, cropped to the central ``crop_w`` columns (time budget)."""
    pairs = []
    for seq in data.SINTEL_SEQS:
        p = data.load_sintel_pair(data_dir, seq)
        x0 = (p.current.shape[3] - crop_w) // 2
        cut = (slice(None), slice(None), slice(None), slice(x0, x0 + crop_w))
        pairs.append(data.Pair(p.name, p.current[cut], p.neighbour[cut], p.flow[cut], p.valid[cut]))
    return pairs


def run_all(data_dir, cfg, out_dir, log=print):
    """Run the study with budget ``cfg`` (see ``run_study.MODES``); plots go to ``out_dir``.

    Returns:
        dict: ``image_psnr[method][set] -> [per-seed PSNR]``, ``vsr_psnr[aligner] -> [per-seed PSNR]``,
        ``spectrum_image`` / ``spectrum_vsr`` band ratios, ``timings_s`` per experiment.
    """
    res = {'timings_s': {}}
    t = time.time()
    test_sets = {
        'sintel': _sintel_pairs(data_dir, cfg['sintel_crop_w']),
        'synthetic': data.synthetic_test_pairs(data_dir, cfg['syn_n'], cfg['syn_size'], 4, 3.0, seed=99),
    }
    log(f'(a)+(d) image-level alignment, {len(test_sets["sintel"])} Sintel + {cfg["syn_n"]} synthetic pairs')
    psnr, outputs = run_image_level(data_dir, test_sets, cfg['ia_seeds'], cfg['ia_steps'], cfg['ia_pool'],
                                    cfg['ia_variants'], log)
    res['image_psnr'] = psnr
    res['timings_s']['image_level'] = round(time.time() - t, 1)

    t = time.time()
    log('(c) frequency response of the image-level outputs (synthetic pairs)')
    syn_out = {name: o['synthetic'] for name, o in outputs.items() if name != 'NA'}
    freqs, ratios = spectrum.spectrum_ratios(syn_out, [p.current for p in test_sets['synthetic']])
    spectrum.plot_ratios(freqs, ratios, out_dir / 'spectrum_image.png',
                         'Aligned frame vs ground truth (exact sub-pixel translations)')
    res['spectrum_image'] = spectrum.band_ratios(freqs, ratios)
    res['spectrum_freqs'] = freqs.tolist()
    res['spectrum_image_curves'] = {k: v.tolist() for k, v in ratios.items()}
    res['timings_s']['spectrum_image'] = round(time.time() - t, 1)

    t = time.time()
    names = cfg['vsr_aligners'] or list(aligner_zoo.ALIGNERS)
    log(f'(b) IA-BasicVSR (16 ch, 2 blocks) per aligner: {names}')
    rng = np.random.default_rng(2024)
    train_set = data.random_sequences(data.source_images(data_dir, 'train'), cfg['vsr_train_clips'], 3,
                                      cfg['vsr_lr_size'], 1.5, rng)
    test_set = data.random_sequences(data.source_images(data_dir, 'test'), cfg['vsr_test_clips'], 3,
                                     cfg['vsr_lr_size'], 1.5, rng)
    vsr_psnr, vsr_out, vsr_time = {}, {}, {}
    for name in names:
        acfg = aligner_zoo.ALIGNERS[name]
        if not aligner_zoo.is_available(acfg):
            log(f'  (b) {name}: aligner {acfg["type"]} not registered, skipped')
            continue
        vsr_psnr[name] = []
        t1 = time.time()
        for seed in cfg['vsr_seeds']:
            model, last = train_vsr(acfg, train_set, seed, cfg['vsr_steps'])
            p, out = evaluate_vsr(model, test_set)
            vsr_psnr[name].append(p)
            vsr_out.setdefault(name, out)
            log(f'  (b) {name} seed {seed}: train loss {last:.4f}, held-out PSNR {p:.2f} dB')
        vsr_time[name] = round(time.time() - t1, 1)
    res['vsr_psnr'] = vsr_psnr
    res['vsr_train_time_s'] = vsr_time
    gt_hr = test_set[0]
    bicubic = torch.nn.functional.interpolate(test_set[1].flatten(0, 1), scale_factor=4, mode='bicubic',
                                              align_corners=False)
    res['vsr_bicubic_psnr'] = evaluate_bicubic(bicubic, gt_hr.flatten(0, 1))
    res['timings_s']['vsr'] = round(time.time() - t, 1)

    log('(c) frequency response of the VSR outputs (held-out clips)')
    frames = [f[None] for f in gt_hr.flatten(0, 1)]
    vsr_frames = {name: [f[None] for f in o.flatten(0, 1)] for name, o in vsr_out.items()}
    f2, r2 = spectrum.spectrum_ratios(vsr_frames, frames, crop=8)
    spectrum.plot_ratios(f2, r2, out_dir / 'spectrum_vsr.png', 'IA-BasicVSR output vs HR ground truth')
    res['spectrum_vsr'] = spectrum.band_ratios(f2, r2)
    return res


def evaluate_bicubic(up, gt, crop=8):
    """PSNR of plain bicubic upsampling on the VSR test clips (reference row)."""
    c = (slice(None), slice(None), slice(crop, -crop), slice(crop, -crop))
    return masked_psnr(up[c], gt[c])
