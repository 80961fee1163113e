"""Python API of the ONNX Runtime backend: an iart_mm ONNX export as a generator for the video and test tools.

Example::

    from iart_mm.apis.onnx_runtime import load_onnx_generator
    from iart_mm.apis.video_inference import super_resolve_video
    generator = load_onnx_generator('basicvsr.onnx', providers=['cpu'])
    super_resolve_video(generator, 'in.mp4', 'out.mp4', chunk=16, context=4, min_size=generator.min_size)
"""
from pathlib import Path

from iart_mm.deploy.metadata import OnnxModelError  # noqa: F401  (re-exported: the backend's error type)
from iart_mm.deploy.runtime import OnnxGenerator


def load_onnx_generator(path, providers=None, min_size=None, window=None, threads=None):
    """An :class:`~iart_mm.deploy.runtime.OnnxGenerator` for ``path``, checked against the caller's settings.

    Args:
        path (str | Path): an export of ``tools/export_onnx.py``.
        providers (Sequence[str] | None): ONNX Runtime execution providers (short names: cpu, cuda, tensorrt).
        min_size (int | None): the caller's minimum LR size (frames below it are padded up to it); refused
            when below the model's own minimum.
        window (tuple | None): the caller's (chunk, context); refused when the model runs a fixed number of
            frames that ``chunk + 2 * context`` does not give.
        threads (int | None): intra-op threads.

    Raises:
        FileNotFoundError / OnnxModelError (a ValueError): one-line messages naming the problem.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f'ONNX model not found: {path}')
    generator = OnnxGenerator(path, providers=providers, threads=threads)
    if min_size is not None and min_size < generator.min_size:
        raise OnnxModelError(f'--min-size {min_size} is below the minimum frame size {generator.min_size} of '
                             f'{path}')
    frames = generator.meta['frames']
    if window is not None and frames != 'dynamic':
        chunk, context = window
        if not chunk or chunk + 2 * context != int(frames):
            raise OnnxModelError(f'{path} runs exactly {frames} frames per call, but --chunk {chunk} and '
                                 f'--context {context} make windows of {chunk + 2 * context if chunk else "all"}')
    return generator
