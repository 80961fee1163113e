"""``TrainingTraceHook``: a per-rank record of every training iteration, for reproducibility checks.

After each iteration it appends one JSON line to ``<work_dir>/trace_rank<r>.jsonl``:
``{"iter": i, "loss": repr-exact float, "digest": sha256 of the model state_dict bytes, "spynet_trainable": bool}``.
Two runs (or two ranks) that trained identically have identical lines; this is how the resume and DDP tests
compare an interrupted run with an uninterrupted one, and ranks with each other. It costs one pass over the
weights per iteration, so leave it out of real trainings.
"""
import hashlib
import json
import os.path as osp

import torch

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmagic.registry import HOOKS


def state_digest(module):
    """sha256 (hex) of every tensor of ``module.state_dict()`` (names, dtypes, shapes and bytes)."""
    h = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        h.update(f'{name}|{t.dtype}|{tuple(t.shape)}'.encode())
        h.update(t.view(-1).view(dtype=torch.uint8).numpy().tobytes() if t.numel() else b'')
    return h.hexdigest()


@HOOKS.register_module()
class TrainingTraceHook(Hook):
    """Append ``{"iter", "loss", "digest", "spynet_trainable"}`` per iteration to ``trace_rank<r>.jsonl``."""

    priority = 'LOWEST'  # after the optimizer step and the EMA update

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        spynet = [p.requires_grad for n, p in model.named_parameters() if 'spynet' in n]
        record = dict(iter=runner.iter + 1,
                      loss=float(outputs['loss']) if outputs and 'loss' in outputs else None,
                      digest=state_digest(model),
                      spynet_trainable=bool(spynet) and all(spynet))
        with open(osp.join(runner.work_dir, f'trace_rank{get_rank()}.jsonl'), 'a') as f:
            f.write(json.dumps(record) + '\n')
