"""Measuring solos, the players' and the models': phrasing figures (``phrasing``), how
lines are played (``playing``: articulation, eighth pairs, dynamics), how the line moves
(``line``: repeats, steps and leaps, fine partials, register), the
``jazz-report`` comparison of a model's takes with held-out human solos (``jazz_report``),
the discriminator (``discriminate``, ``discriminate_report``, ``phrase_features``,
``phrase_gru``: can classifiers tell the model's 4-bar phrases from the players'?), and
held-out NLL for ``sequence-studio eval`` (``evaluate``).

May import: every music room below it (language, corpus, perform, generation) and
``studio.core``. Never Qt, and nothing in ``live``.
"""
