"""Sound: ``soundfont.render_take``, the one renderer of a take (a SoundFont through
tinysoundfont or FluidSynth when there is one, else the built-in ``synth``), WAV files
(``synth``), and playback through PortAudio (``playback``: what is available and why not).

May import: the language, ``perform``, ``notation``, numpy, sounddevice, tinysoundfont,
fluidsynth. Never torch or Qt.
"""
