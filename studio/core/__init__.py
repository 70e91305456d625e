"""The engine, Qt-free and domain-free: vocabularies, the net, checkpoints, devices,
corpora and the domain registry, with two rooms beside them.

    sampling/   THE sampler (host and CUDA-graph paths), its one-step cell stacks, logit
                shaping, scoring (P(sentence)), text/name generation helpers
    training/   the trainer, its resume file, settings, batches, precision, torchrun ranks

May import: torch, numpy, safetensors, platformdirs, cryptography (signing.py) and
``studio.paths``. Never PySide6,
``studio.music``, ``studio.domains``, ``studio.gui``, ``studio.cli`` or ``studio.bench``:
domains plug in through ``studio.core.domain`` (tests/test_import_rules.py checks this).
``sampling`` and ``training`` do not import each other.
"""
