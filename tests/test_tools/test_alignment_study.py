"""Tests of the alignment study (tools/alignment_study) and of iart_mm.datasets.flow_io."""
import json
import sys

import numpy as np
import pytest
import torch

from iart_mm.datasets.flow_io import downscale_flow, read_flo, write_flo
from tests.paths import DATA_DIR, REPO_DIR, require_shared

if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))
from tools.alignment_study import aligner_zoo, data, run_study  # noqa: E402
from tools.alignment_study.metrics import masked_psnr, radial_power_spectrum  # noqa: E402


def test_flo_roundtrip_and_bad_files(tmp_path):
    flow = np.random.default_rng(0).normal(size=(5, 7, 2)).astype(np.float32)
    write_flo(tmp_path / 'a.flo', flow)
    np.testing.assert_array_equal(read_flo(tmp_path / 'a.flo'), flow)
    raw = (tmp_path / 'a.flo').read_bytes()
    (tmp_path / 'trunc.flo').write_bytes(raw[:-4])
    with pytest.raises(ValueError, match='bytes, expected'):
        read_flo(tmp_path / 'trunc.flo')
    (tmp_path / 'magic.flo').write_bytes(b'XXXX' + raw[4:])
    with pytest.raises(ValueError, match='not a .flo file'):
        read_flo(tmp_path / 'magic.flo')
    with pytest.raises(FileNotFoundError):
        read_flo(tmp_path / 'missing.flo')


def test_downscale_flow_of_constant_motion():
    flow = torch.tensor([1.5, -2.0])[None, :, None, None].expand(1, 2, 8, 12)
    small = downscale_flow(flow, 4)
    assert small.shape == (1, 2, 2, 3)
    torch.testing.assert_close(small[0, :, 0, 0], torch.tensor([0.375, -0.5]))
    with pytest.raises(ValueError, match='multiples of 4'):
        downscale_flow(flow[..., :7], 4)


def test_sintel_flow_reproduces_readme_bilinear_psnr():
    """Backward bilinear warp of frame 3 with the GT flow rebuilds frame 2 at 36.96 dB (data README)."""
    require_shared(DATA_DIR / 'sintel_gtflow')
    pair = data.load_sintel_pair(DATA_DIR, 'alley_1')
    assert pair.flow.shape == (1, 2, 436, 1024)
    warp = aligner_zoo.build(aligner_zoo.ALIGNERS['bilinear'], 3)
    with torch.no_grad():
        out = warp(pair.neighbour, pair.current, pair.flow)
    # README mask: occlusion = 0, invalid = 0, sample point inside; ours adds a 1 px margin
    assert masked_psnr(out, pair.current, pair.valid) == pytest.approx(36.96, abs=0.15)


def test_synthetic_translation_is_exact():
    """With a shift of whole frame pixels, the neighbour is the current frame moved by the stated flow."""
    require_shared(DATA_DIR / 'vid4')
    src = data.source_images(DATA_DIR, 'test')[0]
    cur, nb = data.translated_frames(src, 60, 60, (32, 40), [(0, 0), (8, -16)], 8)
    # flow = -(k / r) = (dx, dy) = (2, -1): nb(y - 1, x + 2) == cur(y, x)
    np.testing.assert_array_equal(nb[0:31, 2:40], cur[1:32, 0:38])
    with pytest.raises(ValueError, match='leaves'):
        data.translated_frames(src, 0, 0, (32, 40), [(0, 0)], 8)


def test_radial_spectrum_sees_blur():
    img = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    blurred = torch.nn.functional.avg_pool2d(img, 3, 1, 1, count_include_pad=False)
    f, p = radial_power_spectrum(img, 8)
    _, pb = radial_power_spectrum(blurred, 8)
    assert f.shape == (8,) and (pb[-1] / p[-1]) < 0.3 < (pb[1] / p[1])


def test_cli_rejects_bad_input(tmp_path, capsys):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'keep.txt').write_text('x')
    assert run_study.main(['--quick', '--out', str(out)]) == 2
    assert 'error:' in capsys.readouterr().err and (out / 'keep.txt').read_text() == 'x'
    assert run_study.main(['--quick', '--out', str(tmp_path / 'o2'), '--data-dir', str(tmp_path)]) == 2
    assert 'lacks' in capsys.readouterr().err and not (tmp_path / 'o2').exists()


@pytest.fixture(scope='module')
def quick_run(tmp_path_factory):
    require_shared(DATA_DIR / 'sintel_gtflow')
    require_shared(DATA_DIR / 'vid4')
    out = tmp_path_factory.mktemp('study') / 'quick'
    assert run_study.main(['--quick', '--out', str(out)]) == 0
    return out, json.loads((out / 'results.json').read_text())


@pytest.mark.slow
def test_quick_study_outputs(quick_run):
    out, res = quick_run
    for name in ('tables.md', 'spectrum_image.png', 'spectrum_vsr.png'):
        assert (out / name).stat().st_size > 1000
    for name in ('spectrum_image.png', 'spectrum_vsr.png'):
        assert (out / name).stat().st_size < 200_000
    assert 'reproduced here?' in (out / 'tables.md').read_text()
    img = res['image_psnr']
    # GT flow warping must help a lot over no alignment, and bilinear must beat nearest (sub-pixel accuracy)
    for name in ('nearest', 'bilinear', 'bicubic', 'PA'):
        assert img[name]['sintel'][0] > img['NA']['sintel'][0] + 3
    assert img['bilinear']['sintel'][0] > img['nearest']['sintel'][0]
    assert img['bilinear']['synthetic'][0] > img['nearest']['synthetic'][0] + 2
    # frequency response: bilinear attenuates the top band, nearest does not
    spec = res['spectrum_image']
    assert spec['bilinear'][-1] < 0.9 < spec['nearest'][-1]
    assert all(np.isfinite(v).all() and min(v) > 10 for v in res['vsr_psnr'].values())
    assert set(res['vsr_psnr']) == {'NA', 'bilinear', 'IA'}
