"""Every config of configs/{iart,ia_basicvsr,ia_realbasicvsr,plugins} builds and trains one tiny iteration."""
import pytest
import torch
from config_smoke import run_one_iteration, tiny_generator, tiny_train_config  # noqa: I100 (folder on sys.path)
from mmagic.registry import DATASETS, METRICS, MODELS
from mmengine import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from iart_mm.datasets.synthetic_clip import write_generated_dataset
from tests.paths import REPO_DIR

CONFIG_DIRS = ('iart', 'ia_basicvsr', 'ia_realbasicvsr', 'plugins')
CONFIGS = sorted(p for d in CONFIG_DIRS for p in (REPO_DIR / 'configs' / d).glob('*.py'))
TRAIN_CONFIGS = [p for p in CONFIGS if '_test-' not in p.name]
TEST_CONFIGS = [p for p in CONFIGS if '_test-' in p.name]
# IconVSR's EDVR refill needs 5+ frames and 64 channels; the GAN stage runs VGG and a UNet discriminator at 256x256
SLOW = {'ia-iconvsr_2xb4_reds4.py', 'ia-realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds.py'}


def ids(paths):
    return [p.relative_to(REPO_DIR / 'configs').as_posix() for p in paths]


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    return write_generated_dataset(tmp_path_factory.mktemp('tiny_vsr'), num_clips=1, num_frames=5, hr_size=256)


def test_every_config_family_is_covered():
    assert len(TRAIN_CONFIGS) >= 12 and len(TEST_CONFIGS) >= 4
    for d in CONFIG_DIRS:
        assert any(p.parent.name == d for p in CONFIGS), d


@pytest.mark.parametrize('path', [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW else p
                                  for p in TRAIN_CONFIGS], ids=ids(TRAIN_CONFIGS))
def test_config_trains_one_tiny_iteration(path, tiny_data, tmp_path):
    cfg = Config.fromfile(str(path))
    assert cfg.custom_imports == dict(imports=['iart_mm'], allow_failed_imports=False)
    assert MODELS.get(cfg.model.generator.type) is not None
    runner, losses = run_one_iteration(tiny_train_config(path, tiny_data, tmp_path))
    generator = runner.model.generator
    assert type(generator).__name__ == cfg.model.generator.type
    aligners = [n for n, _ in generator.named_modules() if n.rsplit('.', 1)[-1] in ('aligner', 'implicit_warp')]
    assert aligners, 'the generator has no aligner'
    if 'perceptual_loss' in cfg.model:  # the GAN stage really trains with the perceptual and GAN losses
        assert any('perceptual' in k for k in losses) and any('gan' in k for k in losses), sorted(losses)


@pytest.mark.parametrize('path', TEST_CONFIGS, ids=ids(TEST_CONFIGS))
def test_test_config_builds_its_test_sets(path, tiny_data):
    """Each test data set's pipeline and metrics build (on the generated clip in place of the real data)."""
    cfg = Config.fromfile(str(path))
    # what the Runner does: resolve 'LoadImageFromFile' etc. in MMagic's scope, not MMCV's
    DefaultScope.get_instance(f'test_configs_{path.stem}', scope_name='mmagic')
    loaders = cfg.test_dataloader if isinstance(cfg.test_dataloader, list) else [cfg.test_dataloader]
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
    assert len(loaders) == len(evaluators) >= 1
    for loader, evaluator in zip(loaders, evaluators):
        dataset = loader.dataset.copy()
        if dataset.get('load_frames_list'):  # Vimeo-90K-T: the 7 LR frames in, only im4 scored, no mirroring
            assert len(dataset.load_frames_list.img) == 7 and dataset.load_frames_list.gt == ['im4.png']
            assert all(t.type != 'MirrorSequence' for t in dataset.pipeline)
            dataset.load_frames_list = dict(img=['00000000.png'] * 7, gt=['00000003.png'])
        dataset.update(data_root=str(tiny_data), ann_file='meta_info.txt', depth=1,
                       data_prefix=dict(img='BIx4', gt='GT'), fixed_seq_len=None, num_input_frames=None)
        for transform in dataset.pipeline:  # the generated clip names its frames %08d.png
            if transform.type == 'GenerateSegmentIndices':
                transform.filename_tmpl = '{:08d}.png'
        sample = DATASETS.build(dataset)[0]
        assert sample['inputs'].ndim == 4  # (t, 3, h, w)
        metrics = evaluator if isinstance(evaluator, list) else evaluator.metrics
        for metric in metrics:
            METRICS.build(metric)


def test_iart_test_config_runs_on_a_tiny_clip(tiny_data, tmp_path):
    """tools/test.py's path for the REDS4 test config: the (tiny) IART restores a whole clip and is scored."""
    cfg = Config.fromfile(str(REPO_DIR / 'configs/iart/iart_c64e120_test-reds4.py'))
    tiny_generator(cfg.model.generator)
    cfg.test_dataloader[0].dataset.update(data_root=str(tiny_data), ann_file='meta_info.txt',
                                          data_prefix=dict(img='BIx4', gt='GT'), num_input_frames=5,
                                          fixed_seq_len=5)
    cfg.test_dataloader[0].num_workers = 0
    cfg.custom_hooks = []
    cfg.update(work_dir=str(tmp_path), log_level='WARNING', launcher='none')

    class KeepMetrics(Hook):  # MMagic's MultiTestLoop hands its metrics only to the hooks
        metrics = {}

        def after_test_epoch(self, runner, metrics=None):
            self.metrics.update(metrics or {})

    runner = Runner.from_cfg(cfg)
    runner.register_hook(KeepMetrics())
    runner.test()
    metrics = KeepMetrics.metrics
    psnr = [v for k, v in metrics.items() if 'PSNR' in k]
    assert psnr and all(torch.isfinite(torch.tensor(float(v))) for v in psnr)
