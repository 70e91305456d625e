"""Live play through real MIDI ports: the band, and trading fours with a player.

    engine    LiveEngine: absolute-time scheduler on a real-time thread
    clock     monotonic time, sleeping to a deadline, thread priorities
    ports     opening MIDI ports by name (JACK, ALSA, CoreMIDI) with clear errors
    events    a take or the band as timed MIDI messages; count-in; chart slices
    session   LiveSession: the band over a chart, chorus after chorus
    trade     TradeSession: hearing the player's phrase and answering it
    worker    GenerationWorker: the model in a child process, ready before the downbeat

May import: the language, perform, generation, ``studio.core`` (in the worker), mido and
python-rtmidi. Never Qt, and nothing in ``analysis``.
"""
