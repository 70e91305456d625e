"""``sequence-studio <verb>``: the command-line twin of every GUI action.

One module per verb (``gui``, ``sample``, ``train``, ``score``, ``models``, ``eval``,
``bench``, ``live``), each with ``add_parser(sub)`` and ``run(args) -> int``; ``main.VERBS`` lists
them. A new verb is one new module plus one line in ``VERBS``.
"""

from studio.cli.main import VERBS, build_parser, main

__all__ = ["VERBS", "build_parser", "main"]
