"""Compose one ONNX model from exported pieces: clip-level modules inlined, recurrent steps as ``Scan`` bodies.

Each piece is exported on its own by ``torch.onnx.export`` (dynamo) with dynamic batch, frame count and
frame size, then its graph is copied into the outer graph with a name prefix. A step becomes the body of a
``Scan`` over the time axis (axis 1) of its sequence inputs, forward or in reverse, so the graph grows with
the number of branches, not with the number of frames.
"""
import copy
import time
from typing import List, Sequence

import onnx
import torch
from onnx import compose, helper


MIN_SIZE = 64  # SPyNet's pyramid: the smallest frame side the graphs accept


def clip_dims():
    """torch.export dimensions (n, t, h, w) of a clip (n, t, 3, h, w): n is None (the batch is 1 in the graph:
    the exporter specialises a size-1 example dimension, and OnnxGenerator runs a larger batch clip by clip),
    t >= 2, h and w >= MIN_SIZE."""
    t = torch.export.Dim('t', min=2, max=4096)
    h = torch.export.Dim('h', min=MIN_SIZE, max=8192)
    w = torch.export.Dim('w', min=MIN_SIZE, max=8192)
    return None, t, h, w


def frame_dims(n, h, w):
    """The dynamic axes of one frame (n, c, h, w) for ``torch.onnx.export``'s ``dynamic_shapes``."""
    return {2: h, 3: w} if n is None else {0: n, 2: h, 3: w}


def export_piece(module, args, input_names, output_names, dynamic_shapes):
    """``torch.onnx.export`` (dynamo) of ``module`` on example ``args`` -> (onnx.ModelProto, seconds)."""
    start = time.perf_counter()
    with torch.no_grad():
        program = torch.onnx.export(module, tuple(args), dynamo=True, input_names=list(input_names),
                                    output_names=list(output_names), dynamic_shapes=tuple(dynamic_shapes),
                                    verbose=False, report=False)
    model = program.model_proto
    return model, time.perf_counter() - start


class GraphComposer:
    """Collects nodes, initializers and functions of the outer graph.

    Args:
        inputs (list[onnx.ValueInfoProto]): the model's inputs.
    """

    def __init__(self, inputs):
        self.inputs = list(inputs)
        self.nodes: List[onnx.NodeProto] = []
        self.initializers: List[onnx.TensorProto] = []
        self.functions = {}
        self.opsets = {}
        self.ir_version = None
        self._count = 0

    def _take_model_info(self, model):
        for opset in model.opset_import:
            self.opsets[opset.domain] = max(self.opsets.get(opset.domain, 0), opset.version)
        for func in model.functions:
            self.functions[(func.domain, func.name)] = func
        self.ir_version = max(self.ir_version or 0, model.ir_version)

    def _prefixed(self, model, name):
        self._count += 1
        prefix = f'{name}{self._count}/'
        return compose.add_prefix(model, prefix, rename_functions=False), prefix

    def inline(self, model, name, inputs: Sequence[str]) -> List[str]:
        """Copy ``model``'s graph in, feeding its inputs from the outer values ``inputs``; returns the outer
        names of its outputs."""
        model, _ = self._prefixed(model, name)
        self._take_model_info(model)
        graph = model.graph
        for outer, inner in zip(inputs, graph.input):
            self.nodes.append(helper.make_node('Identity', [outer], [inner.name]))
        self.nodes.extend(graph.node)
        self.initializers.extend(graph.initializer)
        return [out.name for out in graph.output]

    def scan(self, body_model, name, states: Sequence[str], sequences: Sequence[str], reverse: bool,
             num_scan_outputs: int = 1) -> List[str]:
        """A ``Scan`` whose body is ``body_model`` (inputs: states, then one time slice of each sequence;
        outputs: new states, then the per-frame outputs). Sequences are (n, t, ...) and scanned along axis 1,
        in reverse when ``reverse``; the per-frame outputs are stacked along axis 1 in frame order.

        Returns the outer names of the final states and the stacked outputs.
        """
        body_model, prefix = self._prefixed(body_model, name)
        self._take_model_info(body_model)
        body = copy.deepcopy(body_model.graph)
        # the same value cannot be two graph outputs of a Scan body: give repeats their own name
        seen = set()
        for out in body.output:
            if out.name in seen:
                alias = f'{out.name}/again'
                body.node.append(helper.make_node('Identity', [out.name], [alias]))
                out.name = alias
            seen.add(out.name)
        # weights live in the outer graph (a body may read outer values), so the file stores each once
        self.initializers.extend(body.initializer)
        del body.initializer[:]
        body.name = f'{prefix}body'
        outs = [f'{prefix}{o.name.split("/", 1)[-1]}_out' for o in body.output]
        direction = 1 if reverse else 0
        n_seq = len(sequences)
        self.nodes.append(helper.make_node(
            'Scan', list(states) + list(sequences), outs, name=f'{prefix}scan', body=body,
            num_scan_inputs=n_seq, scan_input_axes=[1] * n_seq, scan_input_directions=[direction] * n_seq,
            scan_output_axes=[1] * num_scan_outputs, scan_output_directions=[direction] * num_scan_outputs))
        return outs

    def model(self, outputs, doc=''):
        """The composed ModelProto with graph outputs ``outputs`` (onnx.ValueInfoProto list)."""
        graph = helper.make_graph(self.nodes, 'iart_mm', self.inputs, outputs, initializer=self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in self.opsets.items()],
                                  functions=list(self.functions.values()), producer_name='iart_mm',
                                  doc_string=doc)
        model.ir_version = self.ir_version
        return model
