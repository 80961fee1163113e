"""The metadata an iart_mm ONNX file carries, so that running it needs nothing else.

Keys (``metadata_props``, all strings): ``iart_mm_format`` (this layout's version), ``network`` (the
generator's class), ``scale`` (4), ``frames`` ('dynamic': the recurrence is a Scan over any T >= 2),
``export_frames`` (the T of the export's example and parity check), ``min_size`` (smallest LR h and w),
``input`` / ``output`` (graph value names), ``iart_mm_version``, ``config`` (the generator config, Python
text, empty when unknown), ``precision`` ('fp32' | 'fp16' weights; the graph's inputs and outputs are float32).
"""
import onnx

FORMAT = '1'
REQUIRED = ('iart_mm_format', 'network', 'scale', 'frames', 'min_size', 'input', 'output')


class OnnxModelError(ValueError):
    """An ONNX file that is not an iart_mm export, or that cannot run the requested input (one-line message)."""


def write(model, meta):
    """Set ``meta`` (dict of str -> str-able) as ``model``'s metadata_props, replacing earlier iart_mm keys."""
    keep = [p for p in model.metadata_props if p.key not in meta]
    del model.metadata_props[:]
    model.metadata_props.extend(keep)
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=str(value))


def read(path_or_model):
    """The iart_mm metadata of an ONNX file (path) or ModelProto; OnnxModelError when it has none."""
    if isinstance(path_or_model, onnx.ModelProto):
        props = path_or_model.metadata_props
        where = 'the model'
    else:
        # the header only: metadata sits beside the graph, and the weights need not be parsed for it
        try:
            model = onnx.load(str(path_or_model), load_external_data=False)
        except Exception as exc:  # noqa: BLE001  (protobuf raises several types)
            raise OnnxModelError(f'{path_or_model} is not a readable ONNX file ({type(exc).__name__})') from None
        props = model.metadata_props
        where = str(path_or_model)
    meta = {p.key: p.value for p in props}
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise OnnxModelError(f'{where} is not an iart_mm ONNX export (no {missing[0]!r} metadata); export one '
                             'with tools/export_onnx.py')
    if meta['iart_mm_format'] != FORMAT:
        raise OnnxModelError(f'{where} has iart_mm ONNX format {meta["iart_mm_format"]}, this iart_mm reads '
                             f'format {FORMAT}; re-export it')
    return meta
