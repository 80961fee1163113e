"""Reading checkpoint files: what is not a checkpoint gives one line that names the file and the problem."""
import pytest
import torch

from iart_mm.checkpoint import CheckpointReadError, load_checkpoint_file


class Foreign:
    """Something a checkpoint must not unpickle."""


@pytest.mark.parametrize('kind, expected', [
    ('text', 'is not a PyTorch checkpoint'),
    ('empty', 'is empty or truncated'),
    ('truncated', 'is empty or truncated'),
    ('foreign', 'holds Python objects besides weights'),
])
def test_non_checkpoints_are_one_line_errors(tmp_path, kind, expected):
    path = tmp_path / f'{kind}.pth'
    if kind == 'text':
        path.write_text('model = dict(type="BasicVSR")\n')
    elif kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'truncated':
        torch.save({'w': torch.ones(64)}, path)
        path.write_bytes(path.read_bytes()[:200])
    else:
        torch.save({'w': Foreign()}, path)
    with pytest.raises(CheckpointReadError) as err:
        load_checkpoint_file(path)
    msg = str(err.value)
    assert '\n' not in msg and str(path) in msg and expected in msg, msg
    assert 'weights_only' not in msg  # torch's advice to switch safety off is not passed on


def test_missing_file_and_a_good_one(tmp_path):
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        load_checkpoint_file(tmp_path / 'absent.pth')
    torch.save({'state_dict': {'w': torch.arange(3)}}, tmp_path / 'ok.pth')
    assert torch.equal(load_checkpoint_file(tmp_path / 'ok.pth')['state_dict']['w'], torch.arange(3))
