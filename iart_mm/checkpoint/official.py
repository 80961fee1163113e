"""Released (BasicSR-trained) checkpoints -> iart_mm / MMagic state dicts: read, recognise, infer, map, load.

Recognised layouts (``detect_layout``):
- ``'iart'``: the released IART network (``swin_backbone.*`` + ``implicit_warp.*``).
- ``'psrt_recurrent'``: PSRT-recurrent (``swin_backbone.*`` with patch alignment, ``patch_align.*`` if any).
- ``'basicvsr'``: BasicSR ``BasicVSR`` (``backward_trunk.*``, ``forward_trunk.*``).
- ``'spynet_basicsr'`` / ``'spynet_mmagic'``: a bare SPyNet, ``basic_module.L.basic_module.{0,2,4,6,8}.*`` or
  ``basic_module.L.basic_module.{0..4}.conv.*``.

Every mapping is strict: the only keys allowed to be left over are the documented never-used ones
(``UNUSED_OFFICIAL_KEYS``); anything else raises :class:`CheckpointMismatchError` naming the unexpected and
missing keys
(``key_mapping.load_strict``). Paths only: nothing is ever downloaded.
"""
import math
import re
from collections import OrderedDict

import torch

from .basicsr import convert_spynet_basicsr_to_mmagic, is_basicsr_basicvsr
from .key_mapping import CheckpointMismatchError, read_state_dict

BRANCHES = ('backward_1', 'forward_1', 'backward_2', 'forward_2')
# Each branch of the released network holds a conv_first, conv_first_feat and conv_before_upsample that the
# forward never uses (567,136 parameters in the released config). They are dropped, and only they
# (docs/release_differences.md, "IART network: unused branch convolutions dropped").
UNUSED_BRANCH_MODULES = ('conv_first', 'conv_first_feat', 'conv_before_upsample')
UNUSED_OFFICIAL_KEYS = tuple(f'swin_backbone.{b}.{m}.{p}' for b in BRANCHES for m in UNUSED_BRANCH_MODULES
                             for p in ('weight', 'bias'))

_SPYNET_BASICSR = re.compile(r'(basic_module\.\d\.basic_module\.\d\.(weight|bias))|mean|std')
_SPYNET_MMAGIC = re.compile(r'(basic_module\.\d\.basic_module\.\d\.conv\.(weight|bias))|mean|std')


def read_official_state(path, use_ema=False, name=None):
    """Flat ``{name: Tensor}`` weights of a checkpoint file: ``params_ema`` if ``use_ema`` (required then),
    else ``params`` / ``state_dict`` / the bare dict. Fails on non-tensor entries. ``path`` may be a loaded dict,
    then ``name`` says what to call it in messages."""
    state = read_state_dict(path, use_ema=use_ema)
    bad = [k for k, v in state.items() if not torch.is_tensor(v)]
    if bad:
        raise CheckpointMismatchError(f'{name or path}: not a state dict of tensors (non-tensor entries: '
                                      f'{sorted(map(str, bad))[:6]})')
    return state


def detect_layout(state):
    """Name the layout of a flat state dict (see module docstring); raise if it is none of them."""
    keys = list(state)
    if any(k.startswith('swin_backbone.') for k in keys):
        return 'iart' if any(k.startswith('implicit_warp.') for k in keys) else 'psrt_recurrent'
    if is_basicsr_basicvsr(state):
        return 'basicvsr'
    if keys and all(_SPYNET_BASICSR.fullmatch(k) for k in keys):
        return 'spynet_basicsr'
    if keys and all(_SPYNET_MMAGIC.fullmatch(k) for k in keys):
        return 'spynet_mmagic'
    raise CheckpointMismatchError('unrecognised checkpoint: not IART, PSRT-recurrent, BasicVSR or SPyNet '
                                  f'({len(keys)} keys, e.g. {sorted(keys)[:6]})')


def _solve_window(num_tokens, table_rows):
    """(wt, wh, ww) with wt*wh*ww = N and (2wt-1)(2wh-1)(2ww-1) = table rows, preferring wh == ww."""
    found = []
    for wt in range(1, num_tokens + 1):
        for wh in range(1, num_tokens // wt + 1):
            ww, rem = divmod(num_tokens, wt * wh)
            if rem == 0 and (2 * wt - 1) * (2 * wh - 1) * (2 * ww - 1) == table_rows:
                found.append((wt, wh, ww))
    if not found:
        raise CheckpointMismatchError(f'no window size fits {num_tokens} tokens and a {table_rows}-row '
                                      'relative position table')
    return sorted(found, key=lambda s: (s[1] != s[2], s))[0]


def _shape(state, key):
    if key not in state:
        raise CheckpointMismatchError(f'checkpoint lacks {key}, needed to infer the architecture')
    return tuple(state[key].shape)


def infer_iart_config(state):
    """Constructor kwargs of ``IAPSRTRecurrentNet`` read from the tensor shapes of an official state dict.

    embed_dim / in_channels from ``conv_first``, mid_channels from ``conv_before_upsample``, depths from the
    block count per layer, heads from the bias-table columns, the window from the table and index sizes, the MLP
    ratio from ``fc1``, and the IA aligner's dim / pe_dim / window from its tensors. IA's head count is not in
    any shape; the release uses ``num_heads[0]``.
    """
    embed_dim, in_channels = _shape(state, 'conv_first.weight')[:2]
    mid_channels = _shape(state, 'conv_before_upsample.weight')[0]
    prefix = 'swin_backbone.backward_1.layers.'
    blocks = {}
    for k in state:
        m = re.match(re.escape(prefix) + r'(\d+)\.residual_group\.blocks\.(\d+)\.', k)
        if m:
            blocks.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    if not blocks:
        raise CheckpointMismatchError(f'checkpoint has no Swin blocks (no {prefix}0.residual_group.blocks.0.*)')
    depths = tuple(len(blocks[i]) for i in range(len(blocks)))
    attn0 = prefix + '0.residual_group.blocks.0.attn.'
    num_heads = tuple(
        _shape(state, f'{prefix}{i}.residual_group.blocks.0.attn.relative_position_bias_table')[1]
        for i in range(len(depths)))
    window_size = _solve_window(
        _shape(state, attn0 + 'relative_position_index')[0],
        _shape(state, attn0 + 'relative_position_bias_table')[0])
    mlp_ratio = _shape(state, prefix + '0.residual_group.blocks.0.mlp.fc1.weight')[0] / embed_dim
    cfg = dict(
        in_channels=in_channels,
        mid_channels=mid_channels,
        embed_dim=embed_dim,
        depths=depths,
        num_heads=num_heads,
        window_size=window_size,
        mlp_ratio=mlp_ratio)
    if 'implicit_warp.q.weight' in state:
        dim, pe_dim = _shape(state, 'implicit_warp.q.weight')
        ws = math.isqrt(_shape(state, 'implicit_warp.position_bias')[1])
        cfg['aligner'] = dict(
            type='ImplicitWarp', dim=dim, num_heads=num_heads[0], window_size=ws, pe_dim=pe_dim, pe_temp=0.01)
    else:
        cfg['aligner'] = dict(type='PatchAlign')
    return cfg


def convert_official_iart(state):
    """Map an official IART / PSRT-recurrent state dict to ``IAPSRTRecurrentNet`` keys.

    ``implicit_warp.*`` / ``patch_align.*`` -> ``aligner.*``; SPyNet keys to MMagic's layout; the documented
    unused branch convs are dropped (only those). Returns ``(state_dict, dropped_keys)``.
    """
    spynet = convert_spynet_basicsr_to_mmagic({k: v for k, v in state.items() if k.startswith('spynet.')},
                                              prefix='spynet.')
    out, dropped = OrderedDict(), []
    for k, v in state.items():
        if k.startswith('spynet.'):
            continue
        if k in UNUSED_OFFICIAL_KEYS:
            dropped.append(k)
            continue
        for old in ('implicit_warp.', 'patch_align.'):
            if k.startswith(old):
                k = 'aligner.' + k[len(old):]
        out[k] = v
    out.update(spynet)
    return out, dropped
