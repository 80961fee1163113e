"""The main job (tools/demo.py): the default run, user inputs, and one-line errors that touch nothing."""
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from iart_mm.datasets.synthetic_clip import make_demo_clip, sliding_crops, write_generated_dataset
from tests.paths import REPO_DIR

DEMO = str(REPO_DIR / 'tools' / 'demo.py')
TINY_CFG = str(REPO_DIR / 'configs' / '_base_' / 'tiny_generated_vsr.py')


def run_demo_cli(*args):
    return subprocess.run([sys.executable, DEMO, *map(str, args)], capture_output=True, text=True, cwd=REPO_DIR,
                          timeout=900)


def write_folder(folder, frames):
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f'{i:08d}.png'), f[:, :, ::-1])
    return folder


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert lines[-1].startswith('error: '), proc.stderr[-2000:]
    for n in needles:
        assert n in lines[-1], lines[-1]


def test_demo_clip_has_exact_known_motion():
    lq, gt = make_demo_clip(num_frames=3)
    assert lq.shape == (3, 80, 72, 3) and gt.shape == (3, 320, 288, 3)
    # frame t+1 is frame t moved by (2, 3) HR pixels: exact, no interpolation
    assert np.array_equal(gt[1][:-2, :-3], gt[0][2:, 3:])


@pytest.mark.slow
def test_default_demo_beats_bicubic(tmp_path):
    proc = run_demo_cli('--work-dir', tmp_path / 'demo')
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith('gain over bicubic')][0]
    gain = float(line.split()[-2])
    assert gain >= 1.5, proc.stdout
    assert len(list((tmp_path / 'demo' / 'sr').glob('*.png'))) == 12
    cmp = cv2.imread(str(tmp_path / 'demo' / 'comparison.png'))
    assert cmp.shape == (320, 3 * 288, 3)


def test_user_folder_with_own_model(tmp_path):
    """A frame folder (video files go through the same reader) with a config + checkpoint."""
    photo = make_demo_clip(num_frames=2)[0]
    src = write_folder(tmp_path / 'in', list(photo))
    from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet
    torch.save({'state_dict': {f'generator.{k}': v for k, v in
                               BasicVSRNet(16, 2).state_dict().items()}}, tmp_path / 'tiny.pth')
    proc = run_demo_cli(src, '--config', TINY_CFG, '--checkpoint', tmp_path / 'tiny.pth',
                        '--work-dir', tmp_path / 'out')
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = cv2.imread(str(tmp_path / 'out' / 'sr' / '00000001.png'))
    assert out.shape == (320, 288, 3)


def test_video_file_input(tmp_path):
    import av
    frames = make_demo_clip(num_frames=3)[0]
    path = tmp_path / 'clip.mp4'
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('libx264', rate=10)
        stream.width, stream.height, stream.pix_fmt = 72, 80, 'yuv420p'
        for f in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(f, format='rgb24')))
        container.mux(stream.encode())
    from iart_mm.apis import read_clip
    decoded, names = read_clip(path)
    assert len(decoded) == 3 and decoded[0].shape == (80, 72, 3) and names[-1] == '00000002'
    assert np.abs(decoded[1].astype(int) - frames[1]).mean() < 8  # lossy, but the same picture


def test_bad_inputs_fail_with_one_line_and_touch_nothing(tmp_path):
    out = tmp_path / 'existing'
    out.mkdir()
    (out / 'keep.txt').write_text('precious')

    assert_one_line_error(run_demo_cli(tmp_path / 'nope', '--work-dir', out), 'input not found')

    junk = tmp_path / 'junk.mp4'
    junk.write_bytes(b'this is not a video')
    assert_one_line_error(run_demo_cli(junk, '--work-dir', out), 'junk.mp4')

    bad_folder = tmp_path / 'badpng'
    bad_folder.mkdir()
    (bad_folder / '00000000.png').write_bytes(b'garbage')
    assert_one_line_error(run_demo_cli(bad_folder, '--work-dir', out), 'cannot read image frame')

    small = write_folder(tmp_path / 'small', [np.zeros((48, 80, 3), np.uint8)] * 2)
    assert_one_line_error(run_demo_cli(small, '--work-dir', out), 'too small', '64')

    ok = write_folder(tmp_path / 'ok', list(make_demo_clip(num_frames=2)[0]))
    torch.save({'state_dict': {'generator.conv_first.weight': torch.zeros(3)}}, tmp_path / 'other.pth')
    assert_one_line_error(run_demo_cli(ok, '--config', TINY_CFG, '--checkpoint', tmp_path / 'other.pth',
                                       '--work-dir', out),
                          "does not fit the config's generator (BasicVSRNet)", 'conv_first.weight')

    assert_one_line_error(run_demo_cli(ok, '--work-dir', out), 'already exists', '--overwrite')
    assert (out / 'keep.txt').read_text() == 'precious' and len(list(out.iterdir())) == 1


def test_sliding_crops_refuses_too_much_motion():
    with pytest.raises(ValueError, match='too small'):
        sliding_crops(np.zeros((100, 100, 3), np.uint8), 10, 90, step=(2, 3))


def test_generated_dataset_layout(tmp_path):
    write_generated_dataset(tmp_path, num_clips=1, num_frames=2, hr_size=256)
    assert (tmp_path / 'meta_info.txt').read_text().strip() == 'clip000 2 (256,256,3)'
    assert cv2.imread(str(tmp_path / 'BIx4' / 'clip000' / '00000001.png')).shape == (64, 64, 3)
