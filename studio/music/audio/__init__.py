"""Sound: a built-in synth (and FluidSynth with a SoundFont, where there is one) that
renders a performance to samples and WAV (``synth``), and playback through PortAudio
(``playback``: what is available and why not).

May import: the language, ``perform``, ``notation``, numpy, sounddevice. Never torch or Qt.
"""
