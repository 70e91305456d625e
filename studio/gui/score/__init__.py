"""The Score tab: how likely is each alternative under a model (``tab``), with the
per-character probability view (``char_view``).

May import: ``shared``, ``models``, ``studio.core``.
"""
