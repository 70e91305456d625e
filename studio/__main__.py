"""``python -m studio``: the same as the ``sequence-studio`` command."""

try:
    from studio.cli import main
except KeyboardInterrupt:  # Ctrl-C before the CLI could catch it: exit as a stop, quietly
    raise SystemExit(130) from None

raise SystemExit(main())
