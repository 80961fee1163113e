"""Train and test through MMEngine's Runner, as MMagic's tools do, with iart_mm's conveniences.

``tools/train.py`` / ``tools/test.py`` (and the ``dist_*.sh`` launchers) are thin CLIs over these.
"""
import logging
import os
from pathlib import Path

from mmengine.config import Config, DictAction  # noqa: F401  (DictAction re-exported for the CLIs)
from mmengine.logging import print_log

from iart_mm.checkpoint.runner import CheckpointRunner
from iart_mm.engine.device_runner import DeviceAwareRunner
from iart_mm.engine.distributed import LaunchError  # noqa: F401  (re-exported: the tools report it in one line)


class ToolRunner(DeviceAwareRunner, CheckpointRunner):
    """The Runner of :func:`train` / :func:`test`: strict, scoped checkpoint loading (``CheckpointRunner``) and an
    environment log that names the device really used (``DeviceAwareRunner``: no "GPU number" on a CPU run)."""


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
    """``--amp``: mixed precision on an accelerator (AmpOptimWrapper), fp32 with a warning on the CPU.

    See :func:`iart_mm.engine.resolve_precision` (which also turns a config's AmpOptimWrapper into fp32 on the CPU).
    """
    from iart_mm.engine import resolve_precision
    return resolve_precision(cfg, amp=True, amp_dtype=dtype)


def _is_local(path):
    return '://' not in str(path)


def keep_checkpoints_in_work_dir(cfg, cfg_options=None):
    """Send the CheckpointHook's files to the work dir, and make every path it records absolute.

    MMagic's bases set ``default_hooks.checkpoint.out_dir = './work_dirs'``: the hook then writes to
    ``<out_dir>/<basename of work_dir>``, relative to the current directory, which is the work dir only when
    neither ``--work-dir`` nor the directory changes. A relative ``out_dir`` from a config is therefore dropped
    (checkpoints go to the work dir, which MMEngine makes absolute, so ``last_checkpoint`` holds an absolute
    path and ``--resume`` works from any directory). An absolute or remote ``out_dir`` is kept, and a relative
    one given with ``--cfg-options`` is kept as an absolute path.
    """
    hook = (cfg.get('default_hooks') or {}).get('checkpoint')
    if not hook or not hook.get('out_dir') or not _is_local(hook['out_dir']):
        return cfg
    if os.path.isabs(hook['out_dir']):
        return cfg
    if 'default_hooks.checkpoint.out_dir' in (cfg_options or {}):
        hook['out_dir'] = os.path.abspath(hook['out_dir'])
    else:
        hook['out_dir'] = None
    return cfg


def latest_checkpoint(work_dir):
    """The checkpoint that ``<work_dir>/last_checkpoint`` names, or None when the work dir has none.

    A relative path in it (written by a run from another directory) is also looked up in the work dir.
    """
    record = Path(work_dir) / 'last_checkpoint'
    if not record.is_file():
        return None
    named = record.read_text().strip()
    for path in (Path(named), Path(work_dir) / Path(named).name):
        if path.is_file():
            return str(path.resolve())
    raise FileNotFoundError(f'{record} names {named}, which does not exist')


def settle_resume(cfg, resume):
    """Set ``cfg.resume`` / ``cfg.load_from`` for ``--resume`` (True: the work dir's latest checkpoint; a path).

    With ``--resume`` and no checkpoint in the work dir yet, training starts as configured (its ``load_from``
    initialisation included) and a warning says so; MMEngine would resume from the config's ``load_from``.
    """
    if not resume:
        return cfg
    if isinstance(resume, str):
        if not Path(resume).is_file():
            raise FileNotFoundError(f'checkpoint to resume from not found: {resume}')
        cfg.load_from, cfg.resume = str(Path(resume).resolve()), True
        return cfg
    latest = latest_checkpoint(cfg.work_dir)
    if latest is None:
        print_log(f'--resume: no checkpoint in {cfg.work_dir} yet, so training starts from the beginning',
                  logger='current', level=logging.WARNING)
        cfg.resume = False
    else:
        cfg.load_from, cfg.resume = latest, True
    return cfg


def check_load_from(cfg):
    """A local ``load_from`` that does not exist is a one-line error before anything is built."""
    load_from = cfg.get('load_from')
    if load_from and _is_local(load_from) and not Path(load_from).is_file():
        raise FileNotFoundError(f'load_from checkpoint not found: {load_from} (the config\'s load_from; point it '
                                f'at the file with --cfg-options load_from=PATH, or load_from=None)')
    return cfg


def train(config, work_dir=None, resume=False, amp=False, amp_dtype=None, cfg_options=None, launcher='none'):
    """Train a config with MMEngine's Runner, on whatever device this machine has.

    Args:
        resume (bool | str): True resumes from the latest checkpoint in the work dir (or starts, if there is
            none yet); a path resumes from that checkpoint.
        amp (bool): ``--amp``: mixed precision on an accelerator, fp32 on the CPU (``amp_dtype`` 'float16' or
            'bfloat16' implies it). AMP configs (``AutoAmpOptimWrapper``, or ``AmpOptimWrapper``) train in fp32
            on the CPU without it.
    """
    from iart_mm.engine import resolve_precision

    from ..checkpoint import explain_downloads
    cfg = load_config(config, cfg_options, work_dir, launcher)
    resolve_precision(cfg, amp, amp_dtype)
    keep_checkpoints_in_work_dir(cfg, cfg_options)
    settle_resume(cfg, resume)
    if not cfg.get('resume'):
        check_load_from(cfg)
    with explain_downloads(cfg.model):
        runner = ToolRunner.from_cfg(cfg)
    # a fine-tune load_from stays non-strict, as in MMEngine
    runner.strict_load = 'resume' if cfg.get('resume') else None
    runner.train()
    return runner


def _test_onnx(config, onnx, providers, work_dir, cfg_options, launcher):
    """:func:`test` with an ONNX export as the config's generator."""
    if not Path(onnx).is_file():
        raise FileNotFoundError(f'ONNX model not found: {onnx}')
    from iart_mm.deploy.runtime import OnnxGenerator
    generator = OnnxGenerator(onnx, providers=providers)  # checks the file and the providers first
    cfg = load_config(config, cfg_options, work_dir, launcher)
    expected = (cfg.get('model') or {}).get('generator', cfg.get('model') or {}).get('type')
    if expected != generator.meta['network']:
        raise ValueError(f'{onnx} holds a {generator.meta["network"]}, the config builds a {expected}')
    cfg.load_from = None
    runner = ToolRunner.from_cfg(cfg)
    runner.model.generator = generator
    return runner.test()


def test(config, checkpoint, work_dir=None, cfg_options=None, launcher='none', onnx=None, providers=None):
    """Evaluate ``checkpoint`` on the config's test set(s); returns the metrics dict.

    The config's model must fit the checkpoint exactly (one-line :class:`CheckpointMismatchError` otherwise); a
    data-only config (no ``model``) tests the model the checkpoint describes (see ``apis/checkpoint_model.py``).
    An unconverted released checkpoint is refused with the command that converts it. Pretrained sub-weights the
    config names are not downloaded: the checkpoint supplies them.

    With ``onnx`` (an iart_mm ONNX export; ``checkpoint`` None) the config's model runs that file in ONNX Runtime
    (``providers``, default CPU) as its generator, through the same data pipeline and evaluators.
    """
    if onnx is not None:
        return _test_onnx(config, onnx, providers, work_dir, cfg_options, launcher)
    from ..checkpoint import explain_downloads, load_checkpoint_file
    from .checkpoint_model import model_for_checkpoint, refuse_released
    loaded = load_checkpoint_file(checkpoint)  # FileNotFoundError / one-line CheckpointReadError
    refuse_released(loaded, checkpoint)
    cfg = load_config(config, cfg_options, work_dir, launcher)
    own_model = cfg.get('model') is not None
    cfg.model = model_for_checkpoint(cfg.get('model'), loaded, checkpoint, config_name=config)
    if not own_model:
        cfg.setdefault('default_scope', 'mmagic')
    cfg.load_from = str(checkpoint)
    with explain_downloads(cfg.model):
        runner = ToolRunner.from_cfg(cfg)
    if not own_model:
        runner.logger.info(f'{config} has no model: testing the one {checkpoint} describes '
                           f"({cfg.model.get('generator', cfg.model).get('type')})")
    runner.strict_load = 'test'
    runner.check_checkpoint(checkpoint, loaded)  # before the test data is read: a wrong model fails at once
    runner.preload(checkpoint, loaded)
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
