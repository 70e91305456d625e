"""The Live window: the band and trading fours through real MIDI ports (``window``) and its
scrolling two-colour piano roll (``roll``).

May import: ``shared``, ``jazz``, ``studio.music.live``, ``studio.core``.
"""
