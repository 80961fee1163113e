"""Benchmark the full IART network against a literal re-implementation of the released forward (CPU).

Implementations (same weights, same input, fp32, ``torch.no_grad``):
- ``release``: ``tests/reference/release_iart.ReleaseIART``, the released forward in plain torch (unfused
  attention with the bias gathered per call, per-pixel IA tensors, reentrant checkpoint around every Swin block,
  layout copies, BasicSR's SPyNet); its process imports torch and that file only, as the release's imports
  torch and BasicSR;
- ``net``: ``iart_mm``'s ``IAPSRTRecurrentNet`` as users run it (fast inference on);
- ``net-plain``: the same with fast inference off (``IART_MM_FAST_INFERENCE=0``): the model as written.

Allocators: ``default`` (glibc defaults) and ``tuned`` (``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
MALLOC_TOP_PAD_=1073741824``, set in the child's environment, the same as ``iart_mm.utils.allocator``), and
for ``--train-step`` also ``train`` (``MALLOC_ARENA_MAX=1 THP_MEM_ALLOC_ENABLE=1``, what ``tools/train.py``
sets; ``iart_mm.utils.allocator.TRAINING_ENV``).

Each (implementation, allocator, clip) case runs in a fresh subprocess and reports the median of ``--repeats``
forwards (the first included: no separate warm-up, a release forward takes ~1 min), the process's peak RSS
(``ru_maxrss``: imports and weights included) and the forward's increment (that peak minus the resident size
after imports, weights and input, just before the first forward). The parent prints the max abs difference of
every output against the ``release`` output of the same clip. The machine is shared: read the ratios of one run.

Further modes (each case again in a fresh subprocess, ratios against the baseline of the same run):
- ``--train-step``: forward + backward of a Charbonnier loss, ``release`` (train mode: reentrant per-block
  checkpoint as released) vs ``net`` (train mode: non-reentrant per-block checkpoint, drop_path 0); median step
  time, peak RSS, and the max abs difference of the input's and all parameters' gradients (and relative to the
  largest gradient). Pieces in ``bench_training_step.py``.
- ``--ia-overhead``: MMagic's BasicVSRNet vs IABasicVSRNet as configs/ia_basicvsr builds it (random weights),
  step and no-grad inference time, IA's overhead in percent (1 warm-up call, then ``--repeats``).
- ``--end-to-end``: ``tools/test.py`` with ``configs/iart/iart_c64e120_test-reds4.py`` on a generated one-clip
  dataset (REDS layout) and a checkpoint of the benchmark's weights, against a release-style script (build
  ``ReleaseIART``, load, read the LR pngs, forward, write png, PSNR/SSIM against GT), each a whole process from a
  clean environment: wall-clock including imports, peak RSS (``wait4``), the PSNR each reports and the max abs
  difference of their 8-bit outputs. A third case runs ``tools/inference_video.py`` (``video``) on the same LR
  frames with the same config and checkpoint, writing pngs (its PSNR computed here). Both tools tune malloc
  themselves, as users get it.

Usage:
    python tools/benchmarks/bench_models.py --quick          # small official config (2.1M params), 5x64x64
    python tools/benchmarks/bench_models.py                  # released config (13.4M, random weights),
                                                             # 5x64x64 and 10x64x112, 3 repeats
    python tools/benchmarks/bench_models.py --clips 5x64x64 --impls release,net,net-plain  # + the plain model
    python tools/benchmarks/bench_models.py --sdpa-backends  # which SDPA kernel runs for head dim 20 / 24
    python tools/benchmarks/bench_models.py --train-step [--quick] [--clips 5x64x64] [--allocators default]
    python tools/benchmarks/bench_models.py --ia-overhead [--clips 5x64x64] [--allocators default]
    python tools/benchmarks/bench_models.py --end-to-end [--quick] [--clips 5x64x64] [--allocators default]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SMALL_STATE = REPO.parent / 'shared' / 'reference' / 'iart_official' / 'iart_small_official_state.pth'
SMALL_IO = REPO.parent / 'shared' / 'reference' / 'iart_official' / 'iart_small_io.pth'
IMPLS = ('release', 'net', 'net-plain')
TRAIN_IMPLS = ('release', 'net')
E2E_IMPLS = ('release', 'net', 'video')  # net: tools/test.py; video: tools/inference_video.py
ALLOCATORS = ('default', 'tuned', 'train')  # environments from iart_mm.utils.allocator, see allocator_env
RELEASED = dict(mid_channels=64, embed_dim=120, depths=(6, 6, 6), num_heads=(6, 6, 6), window_size=(3, 8, 8))
E2E_CONFIG = REPO / 'configs' / 'iart' / 'iart_c64e120_test-reds4.py'

sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:  # the release re-implementation lives in tests/reference (plain torch)
    sys.path.insert(1, str(REPO))
from bench_training_step import (IA_IMPLS, fixed_target, grad_diff, ia_generators,  # noqa: E402
                                 peak_rss_gib, release_named_grads, timed, train_step)


def small_config():
    import torch
    cfg = torch.load(SMALL_STATE, weights_only=True)['config']
    return {k: cfg[k] for k in ('mid_channels', 'embed_dim', 'depths', 'num_heads', 'window_size')}


def config_for(config_name):
    return small_config() if config_name == 'small' else dict(RELEASED)


def make_weights(config_name, path):
    """Write the release-layout state dict (official keys) shared by every case."""
    import torch

    from tests.reference.release_iart import ReleaseIART, release_from_official
    if config_name == 'small':
        model = release_from_official(torch.load(SMALL_STATE, weights_only=True)['params'], small_config())
    else:
        torch.manual_seed(0)
        model = ReleaseIART(**RELEASED)
        with torch.no_grad():  # non-trivial tables and norms (their inits are zeros / ones)
            for name, p in model.named_parameters():
                if 'relative_position_bias_table' in name:
                    p.normal_()
                elif 'norm' in name:
                    p.add_(torch.randn_like(p) * 0.1)
    torch.save(model.state_dict(), path)


def net_state_dict(state):
    """The release-layout state dict in ``IAPSRTRecurrentNet``'s keys (unused branch convs dropped, SPyNet in
    MMagic's layout; either SPyNet layout is accepted)."""
    from iart_mm.checkpoint.official import convert_official_iart
    return convert_official_iart(state)[0]


def write_net_checkpoint(weights, path):
    """An MMEngine checkpoint of the benchmark weights for tools/test.py (MMagic's BasicVSR wrapper, strict)."""
    import torch
    state = {f'generator.{k}': v for k, v in net_state_dict(torch.load(weights, weights_only=True)).items()}
    state['step_counter'] = torch.zeros(1)  # the wrapper's persistent buffer, as official_to_mmengine writes it
    torch.save(dict(meta=dict(), state_dict=state), path)


def build(impl, config, state):
    if impl == 'release':
        from tests.reference.release_iart import ReleaseIART
        model = ReleaseIART(**config)
        model.load_state_dict(state)
        return model.eval()
    from iart_mm.models.editors.iart import IAPSRTRecurrentNet, set_fast_inference
    set_fast_inference(impl != 'net-plain')
    model = IAPSRTRecurrentNet(**config, drop_path_rate=0.)
    model.load_state_dict(net_state_dict(state), strict=True)
    return model.eval()


# ------------------------------------------------------------------------------ workers (fresh processes)
def worker(args):
    if args.task == 'release-e2e':  # before any import: its timing includes them
        return release_e2e_worker(args)
    import torch
    lq = torch.load(args.input, weights_only=True)
    if args.task in ('ia-train', 'ia-infer'):
        res = ia_worker(args, lq)
    else:
        model = build(args.impl, config_for(args.config), torch.load(args.weights, weights_only=True))
        res = (train_worker if args.task == 'train' else infer_worker)(args, model, lq)
    print(json.dumps(dict(res, threads=torch.get_num_threads())))


def infer_worker(args, model, lq):
    """``--repeats`` no-grad forwards (the first included); saves the output. Reports the peak RSS and its
    increment over the resident size just before the first forward."""
    import torch
    before = current_rss_gib()
    with torch.no_grad():
        times, out = timed(lambda: model(lq), args.repeats)
    peak = peak_rss_gib()
    torch.save(out, args.output)
    return dict(times=times, peak_rss_gib=peak, forward_gib=peak - before, before_gib=before)


def current_rss_gib():
    """This process's resident size now (``/proc/self/statm``, Linux)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**30


def train_worker(args, model, lq):
    """``--repeats`` training steps (train mode, the first included); saves the gradients, release-named."""
    import torch
    model.train()
    target = fixed_target(lq)
    times, (loss, input_grad) = timed(lambda: train_step(model, lq, target), args.repeats)
    peak = peak_rss_gib()  # before saving: torch.save's buffers are not the step's memory
    torch.save(release_named_grads(model, input_grad), args.output)
    return dict(times=times, peak_rss_gib=peak, loss=loss)


def ia_worker(args, lq):
    """Build ``args.generator`` (JSON cfg, seed 0): 1 warm-up then ``--repeats`` steps or no-grad forwards."""
    import torch

    import iart_mm  # noqa: F401  (registers IABasicVSRNet / ImplicitWarp)
    from mmagic.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(json.loads(args.generator))
    if args.task == 'ia-train':
        target = fixed_target(lq)
        times, _ = timed(lambda: train_step(model.train(), lq, target), args.repeats, warmup=1)
    else:
        model.eval()
        with torch.no_grad():
            times, _ = timed(lambda: model(lq), args.repeats, warmup=1)
    return dict(times=times, peak_rss_gib=peak_rss_gib())


def release_e2e_worker(args):
    """The release-style test script: build ReleaseIART, load the weights, read the LR pngs of ``args.input``,
    forward, write the 8-bit outputs as png to ``args.output``, PSNR/SSIM (RGB) against the clip's GT.

    Its imports include iart_mm's PSNR/SSIM (MMagic), a few seconds more than BasicSR's would take."""
    start = time.perf_counter()
    import cv2
    import numpy as np
    import torch
    from tests.reference.release_iart import ReleaseIART

    from iart_mm.evaluation.functional import psnr, ssim
    imported = time.perf_counter()
    model = ReleaseIART(**config_for(args.config))
    model.load_state_dict(torch.load(args.weights, weights_only=True))
    model.eval()
    lr_paths = sorted(Path(args.input).glob('*.png'))
    lq = np.stack([cv2.imread(str(p))[:, :, ::-1] for p in lr_paths]).astype(np.float32) / 255.
    forward = time.perf_counter()
    with torch.no_grad():
        out = model(torch.from_numpy(lq).permute(0, 3, 1, 2).unsqueeze(0))
    forward = time.perf_counter() - forward
    outs = (out[0].clamp(0, 1) * 255.).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    os.makedirs(args.output, exist_ok=True)
    gt_dir = Path(args.input).parents[1] / 'GT' / Path(args.input).name
    scores = []
    for path, img in zip(lr_paths, outs):
        cv2.imwrite(str(Path(args.output) / path.name), img[:, :, ::-1])
        gt = cv2.imread(str(gt_dir / path.name))[:, :, ::-1]
        scores.append((psnr(img, gt), ssim(img, gt)))
    print(json.dumps(dict(psnr=float(np.mean([s[0] for s in scores])), ssim=float(np.mean([s[1] for s in scores])),
                          import_s=imported - start, forward_s=forward)))


# ------------------------------------------------------------------------------------ parent plumbing
def allocator_env(alloc):
    """The environment settings of ``alloc``: none, the tools' inference malloc tuning, or tools/train.py's."""
    from iart_mm.utils.allocator import TRAINING_ENV, malloc_env
    return {'default': {}, 'tuned': malloc_env(), 'train': TRAINING_ENV}[alloc]


def child_env(alloc):
    """The parent's environment without allocator settings (a clean shell), plus those of ``alloc``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('MALLOC_') and k != 'THP_MEM_ALLOC_ENABLE'}
    env.update(allocator_env(alloc))
    return env


def run_worker(worker_args, alloc, label):
    """Run ``bench_models.py --worker`` in a fresh process; its last stdout line is a JSON dict."""
    cmd = [sys.executable, __file__, '--worker', *worker_args]
    proc = subprocess.run(cmd, env=child_env(alloc), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f'error: case {label} failed: {proc.stderr.strip().splitlines()[-1:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_process(cmd, alloc, log_path, label):
    """Run ``cmd`` from the repo root with stdout+stderr to ``log_path``: (wall s, peak RSS GiB, log text)."""
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, env=child_env(alloc), stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (its reaped children included)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = Path(log_path).read_text()
    if proc.returncode != 0:
        raise SystemExit(f'error: case {label} failed (exit {proc.returncode}): {text.strip().splitlines()[-1:]}')
    return wall, usage.ru_maxrss / 2**20, text


def print_header(*extra):
    print(f'{"clip":>9} {"alloc":>7} {"impl":>10} {"median s":>9} {"speedup":>8} {"peak RSS GiB":>13} '
          f'{"RSS ratio":>9} ' + ' '.join(f'{e:>10}' for e in extra))


def print_row(clip, alloc, impl, med, rss, base, extra):
    """One table row; ``base`` holds the baseline's ``med`` and ``rss`` of the same clip and allocator."""
    print(f'{clip:>9} {alloc:>7} {impl:>10} {med:9.2f} {base["med"] / med:8.2f} {rss:13.2f} '
          f'{rss / base["rss"]:9.2f} {extra}', flush=True)


def fail(message):
    """The CLI's bad-input exit: one ``error:`` line, status 2."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(2)


def clip_shape(clip):
    """'TxHxW' -> (t, h, w); IART and SPyNet need t >= 2 and h, w >= 64."""
    try:
        t, h, w = (int(v) for v in clip.split('x'))
    except ValueError:
        fail(f'bad clip {clip!r}, expected TxHxW')
    if t < 2 or h < 64 or w < 64:
        fail(f'clip {clip!r} too small: needs at least 2 frames of 64x64')
    return t, h, w


def write_inputs(args, clips, tmp):
    """``{clip: path}`` of a seeded random (1, t, 3, h, w) clip each (the official small io for --quick 5x64x64)."""
    import torch
    inputs = {}
    for clip in clips:
        t, h, w = clip_shape(clip)
        if args.quick and (t, h, w) == (5, 64, 64):
            lq = torch.load(SMALL_IO, weights_only=True)['lq']
        else:
            lq = torch.rand(1, t, 3, h, w, generator=torch.Generator().manual_seed(t * h * w))
        inputs[clip] = str(Path(tmp) / f'lq-{clip}.pth')
        torch.save(lq, inputs[clip])
    return inputs


# ------------------------------------------------------------------------------------------------ modes
def run_inference(args, clips, weights, inputs, tmp):
    """Every implementation per (clip, allocator): median forward, peak RSS, max abs diff to release's output."""
    import torch
    print_header('max|diff|', 'fwd GiB', 'fwd ratio')
    for clip in clips:
        for alloc in args.allocators:
            base = None
            for impl in args.impls:
                out = Path(tmp) / f'{impl}-{alloc}-{clip}.pth'
                res = run_worker(['--impl', impl, '--config', args.config_name, '--weights', weights, '--input',
                                  inputs[clip], '--output', str(out), '--repeats', str(args.repeats)], alloc,
                                 f'{impl}/{alloc}/{clip}')
                out = torch.load(out, weights_only=True)
                med = statistics.median(res['times'])
                if base is None:
                    base = dict(med=med, rss=res['peak_rss_gib'], out=out, fwd=res['forward_gib'])
                print_row(clip, alloc, impl, med, res['peak_rss_gib'], base,
                          f'{(out - base["out"]).abs().max().item():10.2e} {res["forward_gib"]:10.2f} '
                          f'{res["forward_gib"] / base["fwd"]:10.2f}')


def run_train_step(args, clips, weights, inputs, tmp):
    """release and net training steps per (clip, allocator); gradients compared to release's."""
    import torch
    print_header('max|dgrad|', 'rel')
    for clip in clips:
        seen = {}
        for alloc in args.allocators:
            base = None
            for impl in TRAIN_IMPLS:
                out = Path(tmp) / f'grads-{impl}-{alloc}-{clip}.pth'
                res = run_worker(['--task', 'train', '--impl', impl, '--config', args.config_name, '--weights',
                                  weights, '--input', inputs[clip], '--output', str(out), '--repeats',
                                  str(args.repeats)], alloc, f'train {impl}/{alloc}/{clip}')
                grads = torch.load(out, weights_only=True)
                med = statistics.median(res['times'])
                if base is None:
                    base = dict(med=med, rss=res['peak_rss_gib'], grads=grads)
                diff, scale = grad_diff(base['grads'], grads)
                print_row(clip, alloc, impl, med, res['peak_rss_gib'], base, f'{diff:10.2e} {diff / scale:10.1e}')
                seen[alloc, impl] = dict(med=med, rss=res['peak_rss_gib'])
        if ('default', 'release') in seen and ('train', 'net') in seen:
            # as users run each: the release under glibc's defaults, the network under tools/train.py's settings
            print_row(clip, 'train/default', 'net', seen['train', 'net']['med'], seen['train', 'net']['rss'],
                      seen['default', 'release'], '(net under train vs release under default)')


def run_ia_overhead(args, clips, inputs):
    """BasicVSR and IA-BasicVSR, step and inference, per (clip, allocator): IA's overhead in percent."""
    gens = ia_generators()
    print(f'generators: {gens["ia-basicvsr"]}; baseline {gens["basicvsr"]}')
    print(f'{"clip":>9} {"alloc":>7} {"mode":>6} {"BasicVSR s":>11} {"IA-BasicVSR s":>14} {"overhead":>9} '
          f'{"peak RSS GiB":>13}')
    for clip in clips:
        for alloc in args.allocators:
            for task, mode in (('ia-train', 'step'), ('ia-infer', 'infer')):
                res = {impl: run_worker(['--task', task, '--impl', impl, '--generator', json.dumps(gens[impl]),
                                         '--input', inputs[clip], '--repeats', str(args.repeats)], alloc,
                                        f'{mode} {impl}/{alloc}/{clip}') for impl in IA_IMPLS}
                base, ia = (statistics.median(res[i]['times']) for i in IA_IMPLS)
                rss = '/'.join(f'{res[i]["peak_rss_gib"]:.2f}' for i in IA_IMPLS)
                print(f'{clip:>9} {alloc:>7} {mode:>6} {base:11.3f} {ia:14.3f} {(ia / base - 1) * 100:8.1f}% '
                      f'{rss:>13}', flush=True)


def e2e_cfg_options(config_name, data_root, t):
    """tools/test.py overrides: the generated one-clip dataset, offline SPyNet, the small generator for --quick."""
    # BasicVisualizationHook reads runner.iter in the test loop, which builds the train loop and its dataset
    # (the clip list, no image read): it gets the generated clip too.
    opts = [f'{ds}.{k}={v}' for ds in ('test_dataloader.0.dataset', 'train_dataloader.dataset')
            for k, v in (('data_root', data_root), ('data_prefix.img', 'BIx4'), ('data_prefix.gt', 'GT'),
                         ('ann_file', 'meta_info.txt'))]
    opts += [f'test_dataloader.0.dataset.num_input_frames={t}', f'test_dataloader.0.dataset.fixed_seq_len={t}',
             'model.generator.spynet_pretrained=None']  # the checkpoint holds SPyNet; the config's is a URL
    if config_name == 'small':
        opts += [f'model.generator.{k}={list(v) if isinstance(v, (list, tuple)) else v}'.replace(' ', '')
                 for k, v in small_config().items()]
    return opts


def vis_outputs(work_dir, width):
    """The 8-bit network outputs (t * 4h, 4w, 3) RGB in tools/test.py's visualisation png, where
    ConcatImageVisualizer puts gt | input | pred side by side and stacks the frames vertically."""
    import cv2
    pngs = sorted(Path(work_dir).rglob('vis_image/*.png'))
    if len(pngs) != 1:
        raise SystemExit(f'error: expected one visualisation png under {work_dir}, found {len(pngs)}')
    return cv2.imread(str(pngs[0]))[:, -4 * width:, ::-1]


def e2e_run(impl, args, alloc, clip, weights, ckpt, data, out, log):
    """One whole process of ``impl`` on the generated clip: (wall s, peak RSS GiB, PSNR, in-process forward s,
    8-bit outputs (t * 4h, 4w, 3) RGB). For tools/test.py the in-process time is MMEngine's test-iteration time
    (data loading, forward, metrics, visualisation); the video tool reports none (nan) and its PSNR is computed
    here from the pngs it wrote."""
    import cv2
    import numpy as np
    t, h, w = clip_shape(clip)
    lr_dir = data / 'BIx4' / 'clip000'
    if impl == 'release':
        cmd = [sys.executable, __file__, '--worker', '--task', 'release-e2e', '--config', args.config_name,
               '--weights', weights, '--input', str(lr_dir), '--output', str(out)]
    elif impl == 'video':
        cmd = [sys.executable, str(REPO / 'tools' / 'inference_video.py'), str(lr_dir), str(out), '--png',
               '--config', str(e2e_video_config(args.config_name, Path(ckpt).parent)), '--checkpoint', str(ckpt),
               '--no-progress', '--device', 'cpu']
    else:
        cmd = [sys.executable, str(REPO / 'tools' / 'test.py'), str(E2E_CONFIG), str(ckpt), '--work-dir', str(out),
               '--cfg-options', *e2e_cfg_options(args.config_name, data, t)]
    wall, rss, text = run_process(cmd, alloc, log, f'e2e {impl}/{alloc}/{clip}')
    if impl == 'release':
        res = json.loads(text.strip().splitlines()[-1])
        pred = np.concatenate([cv2.imread(str(p))[:, :, ::-1] for p in sorted(Path(out).glob('*.png'))])
        return wall, rss, res['psnr'], res['forward_s'], pred
    if impl == 'video':
        from iart_mm.evaluation.functional import psnr
        frames = [cv2.imread(str(p))[:, :, ::-1] for p in sorted(Path(out).glob('*.png'))]
        gts = [cv2.imread(str(p))[:, :, ::-1] for p in sorted((data / 'GT' / 'clip000').glob('*.png'))]
        return wall, rss, float(np.mean([psnr(f, g) for f, g in zip(frames, gts)])), float('nan'), \
            np.concatenate(frames)
    found = re.findall(r'Iter\(test\).*PSNR: ([\d.]+).* time: ([\d.]+)', text)
    psnr, fwd = (float(v) for v in found[-1]) if found else (float('nan'), float('nan'))
    return wall, rss, psnr, fwd, vis_outputs(out, w)


def e2e_video_config(config_name, tmp):
    """The config the video tool gets: the end-to-end test config, with the small generator for --quick."""
    if config_name != 'small':
        return E2E_CONFIG
    path = Path(tmp) / 'e2e_small_config.py'
    path.write_text(f'_base_ = [{str(E2E_CONFIG)!r}]\nmodel = dict(generator=dict(**{small_config()!r}))\n')
    return path


def run_end_to_end(args, clips, weights, tmp):
    """tools/test.py vs the release-style script, whole processes, per (clip, allocator)."""
    import numpy as np

    from iart_mm.datasets.synthetic_clip import write_generated_dataset
    ckpt = Path(tmp) / 'net_checkpoint.pth'
    write_net_checkpoint(weights, ckpt)
    print(f'net: python tools/test.py {E2E_CONFIG.relative_to(REPO)} CKPT --cfg-options <generated clip>; '
          f'release: bench_models.py --worker --task release-e2e; median wall of {args.repeats} processes each, '
          'run in turn')
    print_header('PSNR', 'max|diff|', 'fwd s')
    for clip in clips:
        t, h, w = clip_shape(clip)
        data = write_generated_dataset(Path(tmp) / f'data-{clip}', num_clips=1, num_frames=t, hr_size=(4 * h, 4 * w))
        for alloc in args.allocators:
            by_impl = {impl: [] for impl in E2E_IMPLS}
            for r in range(args.repeats):  # interleaved: a drift in machine speed hits every implementation alike
                for impl in E2E_IMPLS:
                    n = Path(tmp) / f'e2e-{impl}-{alloc}-{clip}-{r}'
                    by_impl[impl].append(e2e_run(impl, args, alloc, clip, weights, ckpt, data, n, f'{n}.log'))
            base = None
            for impl, runs in by_impl.items():
                med = statistics.median(r[0] for r in runs)
                rss = max(r[1] for r in runs)
                _, _, psnr, fwd, pred = runs[-1]
                if base is None:
                    base = dict(med=med, rss=rss, pred=pred)
                diff = np.abs(pred.astype(np.int16) - base['pred']).max()
                print_row(clip, alloc, impl, med, rss, base, f'{psnr:10.4f} {diff:10d} {fwd:10.2f}')


def sdpa_backends():
    import torch
    import torch.nn.functional as F
    from torch.profiler import profile
    for d in (20, 24):
        q, k, v = (torch.randn(1, 64 * 6, 192, d) for _ in range(3))
        mask = torch.randn(1, 64 * 6, 192, 192)
        with torch.no_grad():
            with profile() as prof:
                F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            kernels = sorted({e.key for e in prof.key_averages() if e.key.startswith('aten::_scaled_dot')})
            times, _ = timed(lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), 7)
        print(f'head_dim {d}: kernel {kernels}, median {statistics.median(times) * 1e3:.1f} ms '
              f'(384 windows x heads, N=192, float mask)')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='small official config, 5x64x64, 2 repeats')
    parser.add_argument('--repeats', type=int, default=None)
    parser.add_argument('--clips', default=None, help='comma list of TxHxW, e.g. 5x64x64,10x64x112')
    parser.add_argument('--impls', default='release,net', help=f'comma list among {",".join(IMPLS)}')
    parser.add_argument('--allocators', default='default,tuned')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--sdpa-backends', action='store_true')
    mode.add_argument('--train-step', action='store_true', help='forward+backward, release vs net')
    mode.add_argument('--ia-overhead', action='store_true', help='IA-BasicVSR vs BasicVSR, step and inference')
    mode.add_argument('--end-to-end', action='store_true', help='tools/test.py vs a release-style script')
    # worker mode (internal)
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--task', default='infer', choices=('infer', 'train', 'ia-train', 'ia-infer', 'release-e2e'),
                        help=argparse.SUPPRESS)
    parser.add_argument('--impl', help=argparse.SUPPRESS)
    parser.add_argument('--config', help=argparse.SUPPRESS)
    parser.add_argument('--generator', help=argparse.SUPPRESS)
    parser.add_argument('--weights', help=argparse.SUPPRESS)
    parser.add_argument('--input', help=argparse.SUPPRESS)
    parser.add_argument('--output', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if args.sdpa_backends:
        return sdpa_backends()
    args.config_name = 'small' if args.quick else 'released'
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    single = args.quick or args.train_step or args.ia_overhead or args.end_to_end
    clips = (args.clips or ('5x64x64' if single else '5x64x64,10x64x112')).split(',')
    args.impls = args.impls.split(',')
    args.allocators = args.allocators.split(',')
    if args.impls[0] != 'release' or any(i not in IMPLS for i in args.impls):
        fail(f'--impls must start with release and be among {IMPLS}')
    if any(a not in ALLOCATORS for a in args.allocators):
        fail(f'--allocators must be among {",".join(ALLOCATORS)}, got {",".join(args.allocators)}')
    if args.repeats < 1:
        fail(f'--repeats must be >= 1, got {args.repeats}')
    if args.quick and not SMALL_STATE.is_file():
        fail(f'--quick needs {SMALL_STATE}')
    for clip in clips:
        clip_shape(clip)
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        inputs = write_inputs(args, clips, tmp)
        print(f'config {"ia_basicvsr" if args.ia_overhead else args.config_name}, repeats {args.repeats}, '
              f'torch {torch.__version__}, {os.cpu_count()} cpus, {torch.get_num_threads()} threads, '
              f'load avg at start {os.getloadavg()[0]:.1f}')
        if args.ia_overhead:
            run_ia_overhead(args, clips, inputs)
        else:
            weights = str(Path(tmp) / 'weights.pth')
            make_weights(args.config_name, weights)
            if args.end_to_end:
                run_end_to_end(args, clips, weights, tmp)
            else:
                (run_train_step if args.train_step else run_inference)(args, clips, weights, inputs, tmp)
        print(f'load avg at end {os.getloadavg()[0]:.1f}')


if __name__ == '__main__':
    main()
