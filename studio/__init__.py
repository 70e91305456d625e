"""Sequence Studio: recurrent sequence generators you can train, sample, score and hear."""

__version__ = "0.1.0"
