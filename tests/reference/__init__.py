"""Literal re-implementations of the released IART code, used as independent oracles by the tests and as the
baseline of ``tools/benchmarks/``.

They are written from the release's description (what docs/release_differences.md summarises) with plain torch
ops only: no iart_mm module, no MMagic module, so neither the tests nor the benchmark compare the library with
itself, and a benchmark process that runs them imports no more than the release's own process would.

- :mod:`.release_iart`: the released IART network (``ReleaseIART``), SPyNet and its Swin backbone included;
- :mod:`.release_ia`: the released implicit alignment module (``ReferenceImplicitWarp``);
- :mod:`.flow_warp_aligner`: MMagic's ``flow_warp`` wrapped as an aligner (this one uses MMagic on purpose:
  with it an aligner-enabled network must reproduce its MMagic parent).
"""
