"""The Generate tab: the tab itself (``tab``), the sampling form (``controls``), the name
and text views (``views``), and the take history with its store on disk (``takes``,
``take_store``). The jazz side of the tab is its own room, ``studio.gui.jazz``.

May import: ``shared``, ``models``, ``jazz``, ``live``, ``studio.core``, ``studio.music``.
"""
