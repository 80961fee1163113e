"""Markdown tables of a study run, and the verdict on each of the paper's orderings."""
import numpy as np

BANDS = ('0-0.125', '0.125-0.25', '0.25-0.375', '0.375-0.5')


def mean_std(values, digits=2):
    """'m ± s' (sample std over seeds), or 'm' for a single value."""
    v = np.asarray(values, dtype=float)
    m = f'{v.mean():.{digits}f}'
    return m if len(v) < 2 else f'{m} ± {v.std(ddof=1):.{digits}f}'


def compare(a, b):
    """Verdict for 'a > b' given per-seed values: 'yes', 'no', or 'within noise' (|diff| <= std of diff).

    With a single value on each side the sign decides; the std is that of the seeds where both have several.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff = a.mean() - b.mean()
    noise = np.sqrt((a.var(ddof=1) if len(a) > 1 else 0) + (b.var(ddof=1) if len(b) > 1 else 0))
    if abs(diff) <= noise or abs(diff) < 0.005:
        return f'within noise ({diff:+.3f} dB, noise {noise:.3f})'
    return f'{"yes" if diff > 0 else "no"} ({diff:+.2f} dB)'


def both(a, b):
    """'a > b?' on the two image-level test sets."""
    return f'Sintel: {compare(a["sintel"], b["sintel"])}; synthetic: {compare(a["synthetic"], b["synthetic"])}'


def verdicts(res):
    """List of (paper claim, what this run says)."""
    img, vsr, spec = res['image_psnr'], res['vsr_psnr'], res['spectrum_image']
    rows = []
    if 'bilinear' in spec:
        top = spec['bilinear'][-1]
        rows.append(('bilinear resampling attenuates high frequencies (Sec. 3.3)',
                     f'{"yes" if top < 0.9 else "no"} (power ratio {top:.2f} in the top band, 0.375-0.5 cyc/px)'))
    if 'nearest' in spec and 'bilinear' in spec:
        rows.append(('nearest keeps more high-frequency power than bilinear',
                     f'{"yes" if spec["nearest"][-1] > spec["bilinear"][-1] else "no"} '
                     f'({spec["nearest"][-1]:.2f} vs {spec["bilinear"][-1]:.2f} in the top band)'))
    if 'nearest' in img and 'bilinear' in img:
        rows.append(('nearest distorts: lower fidelity than bilinear (image level)',
                     both(img['bilinear'], img['nearest'])))
    ia = 'IA (PE keys+queries, ws 2)'
    if ia in img:
        for other in ('bilinear', 'bicubic', 'nearest'):
            if other in img:
                rows.append((f'IA beats {other} (image level)', both(img[ia], img[other])))
        if 'bilinear' in spec and ia in spec:
            rows.append(('IA keeps more high-frequency power than bilinear',
                         f'{"yes" if spec[ia][-1] > spec["bilinear"][-1] else "no"} '
                         f'({spec[ia][-1]:.2f} vs {spec["bilinear"][-1]:.2f} in the top band)'))
    if 'IA' in vsr:
        for other in [k for k in vsr if k != 'IA']:
            rows.append((f'IA beats {other} inside the VSR network', compare(vsr['IA'], vsr[other])))
    if 'NA' in vsr:
        for other in ('bilinear', 'nearest'):
            if other in vsr:
                rows.append((f'{other} alignment beats no alignment (VSR)', compare(vsr[other], vsr['NA'])))
    if 'nearest' in vsr and 'bilinear' in vsr:
        rows.append(('bilinear beats nearest inside the VSR network', compare(vsr['bilinear'], vsr['nearest'])))
    for name in ('IA no PE on queries', 'IA no PE on keys', 'IA no PE'):
        if name in img and ia in img:
            rows.append((f'PE on keys and queries beats "{name}" (Table 3 direction)', both(img[ia], img[name])))
    for name in ('IA ws 3', 'IA ws 4'):
        if name in img and ia in img:
            rows.append((f'window 2 beats "{name}" (Table 4)', both(img[ia], img[name])))
    return rows


def write_report(res, path):
    """Write the tables of ``res`` (from ``experiments.run_all``) as markdown to ``path``."""
    lines = [f'Mode: {res["mode"]}; wall time {res["wall_time_s"]} s '
             f'(image level {res["timings_s"]["image_level"]} s, VSR {res["timings_s"]["vsr"]} s).', '']
    lines += ['### (a)+(d) Image-level alignment with known flow: PSNR (dB) on non-occluded pixels', '',
              '| method | Sintel GT flow (3 pairs) | synthetic exact translation | seeds |', '|---|---|---|---|']
    for name, v in res['image_psnr'].items():
        lines.append(f'| {name} | {mean_std(v["sintel"])} | {mean_std(v["synthetic"])} | {len(v["sintel"])} |')
    lines += ['', '### (b) IA-BasicVSR (16 ch, 2 blocks, GT flow): held-out PSNR (dB, RGB, 8 px border cropped)', '',
              '| aligner | PSNR | seeds | train time (all seeds, s) |', '|---|---|---|---|']
    for name, v in res['vsr_psnr'].items():
        lines.append(f'| {name} | {mean_std(v, 3)} | {len(v)} | {res["vsr_train_time_s"][name]} |')
    lines.append(f'| (bicubic upsampling, no network) | {res["vsr_bicubic_psnr"]:.2f} | - | - |')
    for key, title in (('spectrum_image', '(c) Power of the aligned frame / power of the true frame, per band '
                        '(cycles/px)'), ('spectrum_vsr', '(c) Power of the VSR output / power of the HR GT')):
        lines += ['', f'### {title}', '', '| method | ' + ' | '.join(BANDS) + ' |', '|---' * 5 + '|']
        for name, v in res[key].items():
            lines.append(f'| {name} | ' + ' | '.join(f'{x:.3f}' for x in v) + ' |')
    lines += ['', '### The paper\'s orderings at this scale', '', '| claim | reproduced here? |', '|---|---|']
    lines += [f'| {c} | {v} |' for c, v in verdicts(res)]
    path.write_text('\n'.join(lines) + '\n')
