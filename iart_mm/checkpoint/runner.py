"""``CheckpointRunner``: MMEngine's Runner whose checkpoint loading is scoped and, for tests and resume, strict.

MMEngine's ``Runner.load_checkpoint`` (behind ``load_from`` and ``resume``) loads non-strictly and only logs
"The model and loaded state dict do not match exactly", so a test of the wrong checkpoint reports numbers for a
mostly random network. This subclass reads the file with :func:`~iart_mm.checkpoint.reading.load_checkpoint_file`
(weights only, MMEngine's types allowed during the load alone) and, when ``strict_load`` is ``'test'`` or
``'resume'``, checks the checkpoint against the model first (:func:`~iart_mm.checkpoint.fit.check_checkpoint_fits`,
one-line :class:`~iart_mm.checkpoint.errors.CheckpointMismatchError`). A training run's ``load_from`` (a fine-tune
start, e.g. BasicVSR weights for IA-BasicVSR) stays non-strict, as in MMEngine.
"""
import re
from collections import OrderedDict

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from .fit import OPTIONAL_KEYS, check_checkpoint_fits
from .reading import load_checkpoint_file


class CheckpointRunner(Runner):
    """A ``Runner`` with :meth:`load_checkpoint` as described in the module docstring.

    Attributes:
        strict_load (str | None): ``'test'`` (the generator must fit exactly; losses may be absent),
            ``'resume'`` (every key but :data:`~iart_mm.checkpoint.fit.OPTIONAL_KEYS`) or None (MMEngine's
            non-strict load).
    """

    strict_load = None

    def preload(self, filename, checkpoint):
        """Hand over a checkpoint already read from ``filename``, so the runner does not read it again."""
        self._preloaded = (str(filename), checkpoint)

    def check_checkpoint(self, filename, checkpoint, revise_keys=((r'^module.', ''),)):
        """Raise a one-line :class:`CheckpointMismatchError` unless ``checkpoint`` fits the model
        (as ``strict_load`` says); returns the revised state dict the model will load."""
        model = self.model.module if is_model_wrapper(self.model) else self.model
        state_dict = checkpoint['state_dict'] if isinstance(checkpoint.get('state_dict'), dict) else checkpoint
        for pattern, replacement in revise_keys:
            state_dict = OrderedDict((re.sub(pattern, replacement, k), v) for k, v in state_dict.items())
        if self.strict_load:
            check_checkpoint_fits(model, dict(checkpoint, state_dict=state_dict), f'checkpoint {filename}',
                                  test_only=self.strict_load == 'test')
            state_dict = _complete(model, state_dict, test_only=self.strict_load == 'test')
        return state_dict

    def _read(self, filename, map_location):
        preloaded = getattr(self, '_preloaded', None)
        if preloaded is not None and preloaded[0] == str(filename):
            self._preloaded = None
            return preloaded[1]
        return load_checkpoint_file(filename, map_location=map_location)

    def load_checkpoint(self, filename, map_location='cpu', strict=False, revise_keys=[(r'^module.', '')]):
        """Load ``filename`` into the model (see the class docstring); returns the checkpoint dict."""
        checkpoint = self._read(filename, map_location)
        if not isinstance(checkpoint.get('state_dict'), dict):
            checkpoint = dict(state_dict=checkpoint)  # a bare state dict, as MMEngine accepts it
        checkpoint['state_dict'] = self.check_checkpoint(filename, checkpoint, revise_keys)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        _load_checkpoint_to_model(model, checkpoint, strict, revise_keys=[])
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint


def _complete(model, state_dict, test_only):
    """The checked state dict plus the model's own values for the keys it may lack, minus the keys a test ignores.

    MMEngine's loaders (the model's and the EMA hook's copy) then see an exact fit and log no missing keys.
    """
    target = model.state_dict()
    out = OrderedDict((k, v) for k, v in state_dict.items() if k in target or not test_only)
    for key, value in target.items():
        if key not in out and (test_only or any(re.fullmatch(p, key) for p in OPTIONAL_KEYS)):
            out[key] = value
    return out
