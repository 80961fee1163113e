"""load_config: the Runner's four requests for the formatted config cost one yapf pass."""
import mmengine.config.config as mmengine_config
from mmengine import Config

from iart_mm.apis.runner import FormattedOnceConfig, load_config
from tests.paths import REPO_DIR

CONFIG = REPO_DIR / 'configs' / 'iart' / 'iart_c64e120_test-reds4.py'


def test_formatted_once_per_content(monkeypatch, tmp_path):
    cfg = load_config(CONFIG, work_dir=tmp_path)
    assert isinstance(cfg, FormattedOnceConfig)
    calls = []
    format_code = mmengine_config.FormatCode
    monkeypatch.setattr(mmengine_config, 'FormatCode', lambda *a, **k: calls.append(1) or format_code(*a, **k))
    FormattedOnceConfig._formatted.clear()
    text = cfg.pretty_text
    assert cfg.pretty_text == text and cfg.dump() == text
    assert len(calls) == 1
    assert text == Config.pretty_text.fget(cfg)  # what MMEngine itself would write
    cfg.model.generator.mid_channels = 32  # a changed config is formatted afresh
    assert 'mid_channels=32' in cfg.pretty_text
    assert len(calls) == 3  # the fresh pass above and the reference pass
