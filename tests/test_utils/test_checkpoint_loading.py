"""MMEngine checkpoints load with weights-only torch.load inside checkpoint_safe_globals(), and only there;
anything beyond the allow-list does not load even inside it."""
import collections
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from iart_mm.utils.checkpoint_loading import checkpoint_safe_globals, mmengine_safe_globals


@pytest.fixture
def mmengine_ckpt(tmp_path):
    hub = MessageHub.get_instance('iart_mm_test_hub')
    for v in (0.5, 0.25, np.float64(0.125)):
        hub.update_scalar('train/loss', v)
    hub.update_info('iter', 7)
    ckpt = dict(meta=dict(iter=7, seed=np.int64(3)), message_hub=hub.state_dict(),
                state_dict=collections.OrderedDict(w=torch.ones(2)))
    torch.save(ckpt, tmp_path / 'c.pth')
    return tmp_path / 'c.pth'


def test_message_hub_state_round_trips_weights_only(mmengine_ckpt):
    before = torch.serialization.get_safe_globals()
    with checkpoint_safe_globals():
        loaded = torch.load(mmengine_ckpt, weights_only=True)
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(0.875 / 3)
    assert buf.min() == 0.125
    assert loaded['meta']['seed'] == 3
    assert set(torch.serialization.get_safe_globals()) == set(before)  # scoped: the process allow-list is kept


def test_outside_the_scope_torch_keeps_its_own_allow_list(mmengine_ckpt):
    if any(g in torch.serialization.get_safe_globals() for g in mmengine_safe_globals()):
        pytest.skip('this process allow-listed MMEngine types itself')
    with pytest.raises(pickle.UnpicklingError):
        torch.load(mmengine_ckpt, weights_only=True)


def test_a_users_own_allow_list_survives_the_scope(mmengine_ckpt):
    before = torch.serialization.get_safe_globals()
    torch.serialization.add_safe_globals([HistoryBuffer])
    try:
        with checkpoint_safe_globals():
            torch.load(mmengine_ckpt, weights_only=True)
        assert HistoryBuffer in torch.serialization.get_safe_globals()
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(before)


def test_plain_torch_load_as_the_docs_say(mmengine_ckpt):
    with torch.serialization.safe_globals(mmengine_safe_globals()):
        assert torch.load(mmengine_ckpt, map_location='cpu')['meta']['iter'] == 7


class _GetattrPayload:
    def __reduce__(self):
        return getattr, (collections.OrderedDict, 'fromkeys')


def test_other_getattr_is_refused(tmp_path):
    torch.save({'x': _GetattrPayload()}, tmp_path / 'evil.pth')
    with checkpoint_safe_globals(), pytest.raises(pickle.UnpicklingError, match='not allowed'):
        torch.load(tmp_path / 'evil.pth', weights_only=True)
