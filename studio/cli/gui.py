"""``sequence-studio gui`` (also no verb at all): open the window.

``sequence-studio --install-desktop`` (``--remove-desktop``) writes (deletes) the Linux
menu entry and icon instead, without starting Qt (``studio.desktop``).
"""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("gui", help="open the window (the default)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--install-desktop", action="store_true",
                       help="add Sequence Studio to the desktop's application menu, with its "
                            "icon (Linux; your user only), then exit")
    group.add_argument("--remove-desktop", action="store_true",
                       help="remove that menu entry and icon, then exit")
    p.add_argument("--verbose", action="store_true", help="log debug lines too")
    return p


def run(args) -> int:
    if args.install_desktop or args.remove_desktop:
        from studio import desktop

        if args.remove_desktop:
            removed = desktop.remove()
            print("removed " + ", ".join(map(str, removed)) if removed else
                  "no desktop entry was installed")
            return 0
        for path in desktop.install():
            print(f"wrote {path}")
        print("Sequence Studio is in the application menu (it may take a moment to appear).")
        return 0
    from studio.gui.app import main as gui_main

    return gui_main(["--verbose"] if args.verbose else [])
