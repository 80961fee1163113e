"""MMEngine checkpoints load with torch.load(weights_only=True); anything beyond the allow-list does not."""
import collections
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import iart_mm  # noqa: F401  (registers the allow-list)


def test_message_hub_state_round_trips_weights_only(tmp_path):
    hub = MessageHub.get_instance('iart_mm_test_hub')
    for v in (0.5, 0.25, np.float64(0.125)):
        hub.update_scalar('train/loss', v)
    hub.update_info('iter', 7)
    ckpt = dict(meta=dict(iter=7, seed=np.int64(3)), message_hub=hub.state_dict(),
                state_dict=collections.OrderedDict(w=torch.ones(2)))
    torch.save(ckpt, tmp_path / 'c.pth')
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(0.875 / 3)
    assert buf.min() == 0.125
    assert loaded['meta']['seed'] == 3


class _GetattrPayload:
    def __reduce__(self):
        return getattr, (collections.OrderedDict, 'fromkeys')


def test_other_getattr_is_refused(tmp_path):
    torch.save({'x': _GetattrPayload()}, tmp_path / 'evil.pth')
    with pytest.raises(pickle.UnpicklingError, match='not allowed'):
        torch.load(tmp_path / 'evil.pth', weights_only=True)
