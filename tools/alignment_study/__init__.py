"""Small-scale reproduction of IART's resampling study; run ``run_study.py``, see docs/alignment_study.md.

Modules: ``data`` (Sintel GT-flow pairs, exact synthetic translations, BI x4 clips), ``aligner_zoo`` (the
compared aligners as MMagic configs), ``metrics`` (masked PSNR, radial power spectrum), ``image_level`` (a, d),
``vsr_level`` (b), ``spectrum`` (c), ``experiments`` (runs them), ``report`` (tables and verdicts).
"""
