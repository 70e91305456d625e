"""The jazz side of the Generate tab: the panel (``panel``: chart, tempo, band, transport),
the chord chart editor (``chart``), the More options (``options``), the piano roll
(``piano_roll``), and a take's files and sound (``export``, ``audio``).

May import: ``shared``, ``studio.music``, ``studio.core``. Not the other tabs.
"""
