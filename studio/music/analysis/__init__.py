"""Measuring solos, the players' and the models': phrasing figures (``phrasing``), how the
line moves (``line``: repeats, steps and leaps, fine partials, register), the
``jazz-report`` comparison of a model's takes with held-out human solos (``jazz_report``),
and held-out NLL for ``sequence-studio eval`` (``evaluate``).

May import: every music room below it (language, corpus, perform, generation) and
``studio.core``. Never Qt, and nothing in ``live``.
"""
