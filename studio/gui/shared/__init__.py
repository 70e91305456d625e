"""What every tab of the window uses: settings groups (``settings``), recent folders and
files (``recent``), error dialogs (``errors``), background workers (``workers``: nothing
slow on the UI thread), the layout pieces (``layout``) and Preferences (``preferences``).

May import: PySide6 and ``studio.core``. Nothing from the tabs or the shell.
"""
