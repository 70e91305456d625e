"""Benchmarks and probes, apart from the product: ``sequence-studio bench`` (``engine``:
sampling and training speed as ratios against baselines run in the same process;
``cuda``: the GPU figures; ``jazz``: the jazz path with its grammar mask), the live
bench (``live``: onset error and answer timing over JACK) and its MIDI probes
(``live_probe``: a JACK server of its own, a listening client, a scripted keyboard; the
live tests use them too).

May import anything in ``studio`` below the window: core, music, domains. Only the CLI's
``bench`` and ``live --bench`` verbs (and tests) import this package.
"""
