"""Files for other programs: the performance as type-1 MIDI for DAWs (``midi_file``), the
take as a MusicXML lead sheet for MuseScore (``leadsheet``), and the key and spelling both
use (``keys``).

May import: the language, ``studio.music.perform``, mido, music21. Never torch or Qt.
"""
