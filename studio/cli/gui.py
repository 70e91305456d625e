"""``sequence-studio gui`` (also no verb at all): open the window."""

from __future__ import annotations


def add_parser(sub):
    return sub.add_parser("gui", help="open the window (the default)")


def run(args) -> int:
    from studio.gui.app import main as gui_main

    return gui_main([])
