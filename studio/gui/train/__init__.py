"""The Train tab: the tab (``tab``), its form (``form``), the run states (``state``), the
trainer as a child process (``process``: the CLI's ``train --jsonl``), what a run shows as
it goes (``progress``) and the live loss and gradient-norm curves (``curves``).

May import: ``shared``, ``models``, ``studio.core``, and ``studio.cli.train`` for the
flags the child process takes. Not the other tabs.
"""
