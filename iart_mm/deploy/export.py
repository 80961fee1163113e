"""Export an iart_mm / MMagic VSR generator to one ONNX file and check it in ONNX Runtime.

The graph takes ``lrs`` (1, t, 3, h, w) float32 RGB in [0, 1] and returns ``hr`` (1, t, 3, 4h, 4w) float32
(not clamped, as the network); t (>= 2), h and w (>= ``min_size``) are dynamic (a batch runs clip by clip).
Supported generators: ``BasicVSRNet``, ``IABasicVSRNet``, ``IAPSRTRecurrentNet`` (IART), ``IARealBasicVSRNet``.

The parity check runs the file in ONNX Runtime on a synthetic clip and compares it with PyTorch end to end
and, where that difference exceeds :data:`TOLERANCE`, a second time from the flows on (the graph's SPyNet
flows replaced by PyTorch's): the exactness of everything after the flow estimator. IART needs the second
comparison: its implicit warp picks a window by the integer part of the flow, so a flow that two runtimes'
convolutions round differently by ~1e-5 px moves the few pixels that sit that close to an integer position to
the neighbouring window. End to end, IART is therefore held to :data:`IART_END_TO_END_TOLERANCE`, and to
:data:`TOLERANCE` from the flows on (docs/deploy.md has the measurement).
"""
import copy
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

from . import metadata
from .graph import MIN_SIZE, GraphComposer, clip_dims, export_piece, frame_dims
from .stages import BasicVSRPrep, BasicVSRStep, RealBasicVSRCleaner

logger = logging.getLogger(__name__)

SUPPORTED = ('BasicVSRNet', 'IABasicVSRNet', 'IAPSRTRecurrentNet', 'IARealBasicVSRNet')
#: max |ONNX - PyTorch| on [0, 1] the export accepts (float32; fp16 weights are held to FP16_TOLERANCE)
TOLERANCE = 2e-4
#: IART end to end: the window flips described above (a 1e-5 px flow change moves ~0.4% of the pixels of the
#: small released-format model by up to 1.5e-3)
IART_END_TO_END_TOLERANCE = 1e-2
#: max |flow ONNX - flow PyTorch| in pixels the export accepts
FLOW_TOLERANCE = 1e-3
FP16_TOLERANCE = 2e-2


@dataclass
class ExportReport:
    """What :func:`export_onnx` did: the file, seconds spent exporting and checking, and the parity found."""
    path: Path
    network: str
    export_seconds: float
    max_abs_diff: Optional[float] = None
    check_shape: tuple = ()
    pieces: dict = field(default_factory=dict)
    flow_max_abs_diff: Optional[float] = None
    max_abs_diff_given_flows: Optional[float] = None


def compose_basicvsr(net, example, cleaner=None):
    """The ONNX model of a BasicVSR-family generator (BasicVSRNet, IABasicVSRNet, IARealBasicVSRNet's SR part
    with ``cleaner`` in front), traced on ``example`` (n, t, 3, h, w) with t >= 3.

    Returns (onnx.ModelProto, {piece: export seconds}).
    """
    n, t, h, w = clip_dims()
    clip = {1: t, 3: h, 4: w}
    seconds = {}
    prep = BasicVSRPrep(net, cleaner).eval()
    prep_model, seconds['prep'] = export_piece(
        prep, (example, ), ['lrs'], ['lrs_in', 'flows_b', 'flows_f', 'queries', 'zero_feat', 'count0'], (clip, ))
    with torch.no_grad():
        lrs, flows_b, flows_f, queries, zero, count = prep(example)
    frame = frame_dims(n, h, w)
    step_b = BasicVSRStep(net, backward=True).eval()
    body_b, seconds['backward'] = export_piece(
        step_b, (zero, count, lrs[:, 0], flows_b[:, 0], queries[:, 0]),
        ['feat_prop', 'count', 'lr', 'flow', 'query'], ['feat_next', 'count_next', 'feat'],
        (frame, None, frame, frame, frame))
    with torch.no_grad():
        feat_b = step_b(zero, count, lrs[:, 0], flows_b[:, 0], queries[:, 0])[2]
    step_f = BasicVSRStep(net, backward=False).eval()
    body_f, seconds['forward'] = export_piece(
        step_f, (zero, count, lrs[:, 0], flows_f[:, 0], queries[:, 0], feat_b),
        ['feat_prop', 'count', 'lr', 'flow', 'query', 'feat_backward'], ['feat_next', 'count_next', 'hr'],
        (frame, None, frame, frame, frame, frame))

    comp = GraphComposer([helper.make_tensor_value_info('lrs', TensorProto.FLOAT, [1, 't', 3, 'h', 'w'])])
    lrs, flows_b, flows_f, queries, zero, count = comp.inline(prep_model, 'prep', ['lrs'])
    feats_b = comp.scan(body_b, 'backward', [zero, count], [lrs, flows_b, queries], reverse=True)[2]
    hr = comp.scan(body_f, 'forward', [zero, count], [lrs, flows_f, queries, feats_b], reverse=False)[2]
    comp.nodes.append(helper.make_node('Identity', [hr], ['hr']))
    out = helper.make_tensor_value_info('hr', TensorProto.FLOAT, [1, 't', 3, 'H', 'W'])
    return comp.model([out], doc=f'{type(net).__name__} exported by iart_mm'), seconds


def compose(generator, example):
    """Dispatch on the generator class -> (onnx.ModelProto, {piece: seconds})."""
    name = type(generator).__name__
    if name in ('BasicVSRNet', 'IABasicVSRNet'):
        return compose_basicvsr(generator, example)
    if name == 'IARealBasicVSRNet':
        return compose_basicvsr(generator.basicvsr, example, cleaner=RealBasicVSRCleaner(generator))
    if name == 'IAPSRTRecurrentNet':
        from .iart_stages import compose_iart
        return compose_iart(generator, example)
    raise ValueError(f'ONNX export supports {", ".join(SUPPORTED)}; got {name}')


def example_clip(frames, size=(64, 64), seed=0):
    """A smooth, moving synthetic clip (1, frames, 3, h, w) in [0, 1] (SPyNet sees real motion)."""
    g = torch.Generator().manual_seed(seed)
    h, w = size
    base = torch.rand(1, 3, h // 8 + 2, w // 8 + 2, generator=g)
    base = torch.nn.functional.interpolate(base, size=(h + 16, w + 16), mode='bicubic', align_corners=False)
    frames_ = [base[..., i % 8:i % 8 + h, (2 * i) % 16:(2 * i) % 16 + w] for i in range(frames)]
    return torch.stack(frames_, 1).clamp(0, 1).contiguous()


#: networks whose SPyNet reads the input clip itself (IARealBasicVSRNet's reads the cleaned clip)
FLOWS_FROM_INPUT = ('BasicVSRNet', 'IABasicVSRNet', 'IAPSRTRecurrentNet')


def _flow_values(model):
    """Names of the prep piece's (flows_b, flows_f) in a composed graph."""
    outputs = [o for node in model.graph.node for o in node.output]
    return tuple(next(o for o in outputs if o.startswith('prep') and o.endswith(f'/{k}')) for k in
                 ('flows_b', 'flows_f'))


def flows_as_inputs(model):
    """A copy of a composed model whose SPyNet is cut off: its padded flows (flows_b, flows_f), each
    (1, t, 2, h, w) float32, become graph inputs. Returns (model, (flows_b name, flows_f name))."""
    names = _flow_values(model)
    model = copy.deepcopy(model)
    kept = [node for node in model.graph.node if not set(node.output) & set(names)]
    del model.graph.node[:]
    model.graph.node.extend(kept)
    model.graph.input.extend([helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names])
    return model, names


def ort_session(model, providers):
    """An ONNX Runtime session of an in-memory ModelProto (providers as ``--providers``; None: CPU)."""
    import onnxruntime as ort

    from .runtime import resolve_providers
    return ort.InferenceSession(model.SerializeToString(), providers=resolve_providers(providers))


def parity_vs_torch(generator, model_path, lrs, providers=None, fp16=False, given_flows_above=0.0):
    """Compare the ONNX file at ``model_path`` with ``generator`` on ``lrs`` (1, t, 3, h, w) in ONNX Runtime.

    Returns:
        dict: ``max_abs_diff`` (HR output, end to end), and for the networks in FLOWS_FROM_INPUT
        ``flow_max_abs_diff`` (px, the graph's padded flows against the network's SPyNet) and
        ``max_abs_diff_given_flows`` (HR output when the graph is given the network's flows; only computed
        when the end-to-end difference exceeds ``given_flows_above``); None otherwise.
        All unclamped float32. An fp16 file (``fp16``) is compared end to end only.
    """
    from .stages import padded_flows
    name = type(generator).__name__
    with torch.no_grad():
        ref = generator(lrs).float().numpy()
    result = {'max_abs_diff': None, 'flow_max_abs_diff': None, 'max_abs_diff_given_flows': None}
    if name not in FLOWS_FROM_INPUT or fp16:
        from .runtime import OnnxGenerator
        out = OnnxGenerator(model_path, providers=providers).run_numpy(lrs.numpy())
        result['max_abs_diff'] = float(np.abs(out - ref).max())
        return result
    model = onnx.load(str(model_path))  # only this path edits the graph
    feed = {model.graph.input[0].name: lrs.numpy()}
    out_name = model.graph.output[0].name
    flow_names = _flow_values(model)
    with torch.no_grad():
        torch_flows = [f.numpy() for f in padded_flows(generator.spynet, lrs, lambda s, a, b: s(a, b))]
    # end to end, with the graph's flows as extra outputs
    probe = copy.deepcopy(model)
    probe.graph.output.extend([helper.make_empty_tensor_value_info(n) for n in flow_names])
    out, *flows = ort_session(probe, providers).run([out_name, *flow_names], feed)
    result['max_abs_diff'] = float(np.abs(out - ref).max())
    result['flow_max_abs_diff'] = max(float(np.abs(f - t).max()) for f, t in zip(flows, torch_flows))
    if result['max_abs_diff'] <= given_flows_above:
        return result
    given, _ = flows_as_inputs(model)
    out = ort_session(given, providers).run([out_name], {**feed, **dict(zip(flow_names, torch_flows))})[0]
    result['max_abs_diff_given_flows'] = float(np.abs(out - ref).max())
    return result


def check_parity(network, parity, fp16=False, tolerance=None):
    """The one-line failure message of a parity result (see :func:`parity_vs_torch`), or None when it passes."""
    limit = tolerance if tolerance is not None else (FP16_TOLERANCE if fp16 else TOLERANCE)
    end_to_end = IART_END_TO_END_TOLERANCE if network == 'IAPSRTRecurrentNet' and not fp16 else limit
    checks = [('end to end', parity['max_abs_diff'], end_to_end),
              ('in the flows (px)', parity['flow_max_abs_diff'], FLOW_TOLERANCE),
              ('given PyTorch\'s flows', parity['max_abs_diff_given_flows'], limit)]
    for what, value, bound in checks:
        if value is not None and not value <= bound:
            return f'ONNX Runtime differs from PyTorch {what} by {value:.3g} (> {bound:g})'
    return None


def export_onnx(generator, out_path, frames=15, fp16=False, config_text='', check_size=(64, 64),
                tolerance=None, overwrite=False, providers=None):
    """Export ``generator`` to ``out_path`` (.onnx), check it, and return an :class:`ExportReport`.

    Args:
        generator (nn.Module): one of ``SUPPORTED``, in eval mode on the CPU.
        out_path (str | Path): the file to write (refused if it exists, unless ``overwrite``).
        frames (int): T of the example clip the pieces are traced on and of the parity check (>= 3). The
            graph itself runs any T >= 2.
        fp16 (bool): store the weights and run the network in float16 (inputs and outputs stay float32).
        config_text (str): the generator's config, stored in the metadata.
        check_size (tuple): (h, w) of the parity check's synthetic clip.
        tolerance (float | None): the accepted max abs difference (default TOLERANCE, FP16_TOLERANCE); IART's
            end-to-end difference is held to IART_END_TO_END_TOLERANCE (see the module).
        providers: ONNX Runtime providers of the parity check (default CPU).

    Raises:
        ValueError: unsupported generator or arguments, or the parity check failed (nothing is written then).
    """
    from iart_mm.version import __version__
    out_path = Path(out_path)
    name = type(generator).__name__
    if name not in SUPPORTED:
        raise ValueError(f'ONNX export supports {", ".join(SUPPORTED)}; got {name}')
    if frames < 3:
        raise ValueError(f'--frames must be >= 3, got {frames}')
    if out_path.exists() and not overwrite:
        raise ValueError(f'{out_path} already exists (use --overwrite)')
    if out_path.suffix.lower() != '.onnx':
        raise ValueError(f'the output must be a .onnx file, got {out_path}')
    generator = generator.eval()
    net = copy.deepcopy(generator).half() if fp16 else generator
    example = example_clip(frames, check_size)
    start = time.perf_counter()
    model, pieces = compose(net, example.half() if fp16 else example)
    if fp16:
        model = _float32_io(model)
    metadata.write(model, {
        'iart_mm_format': metadata.FORMAT, 'network': name, 'scale': 4, 'frames': 'dynamic',
        'export_frames': frames, 'min_size': MIN_SIZE, 'input': 'lrs', 'output': 'hr',
        'iart_mm_version': __version__, 'config': config_text or '', 'precision': 'fp16' if fp16 else 'fp32'})
    onnx.checker.check_model(model, full_check=True)
    export_seconds = time.perf_counter() - start
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f'.{out_path.name}.partial')
    onnx.save(model, str(partial))
    try:
        # the second run (given PyTorch's flows) only where the end-to-end difference needs explaining
        strict = tolerance if tolerance is not None else TOLERANCE
        parity = parity_vs_torch(generator, partial, example, providers, fp16, given_flows_above=strict)
        failure = check_parity(name, parity, fp16, tolerance)
        if failure:
            raise ValueError(f'parity check failed: {failure} on a {tuple(example.shape)} clip')
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out_path)
    return ExportReport(out_path, name, export_seconds, parity['max_abs_diff'], tuple(example.shape), pieces,
                        parity['flow_max_abs_diff'], parity['max_abs_diff_given_flows'])


def _float32_io(model):
    """Cast the graph's float16 input/output to float32 at the boundary (weights stay float16)."""
    graph = model.graph
    inp, out = graph.input[0], graph.output[0]
    for node in graph.node:
        node.input[:] = ['lrs/half' if x == inp.name else x for x in node.input]
    graph.node.insert(0, helper.make_node('Cast', [inp.name], ['lrs/half'], to=TensorProto.FLOAT16))
    for node in graph.node:
        node.output[:] = ['hr/half' if x == out.name else x for x in node.output]
    graph.node.append(helper.make_node('Cast', ['hr/half'], [out.name], to=TensorProto.FLOAT))
    inp.type.tensor_type.elem_type = TensorProto.FLOAT
    out.type.tensor_type.elem_type = TensorProto.FLOAT
    return model
