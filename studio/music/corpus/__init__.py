"""Solos in: reading WJazzD and the user's MIDI files into ``Solo`` objects, and the
dataset the trainer gets from them.

    wjazzd        WJazzD CSV solos with per-beat chords (load_wjazzd)
    midi          a folder of MIDI files or one file: the lead part and its chords
    lead_pick     which part of an arrangement is the lead (pick_lead / choose_lead)
    chord_infer   chords per half bar inferred from the accompaniment
    dataset       load_jazz_corpus -> JazzCorpus; training_streams (keys per epoch)
    splits        which solos (or bars) are held out for validation
    swing         swing as the players played it: WJazzD onsets against the beat grid
    report        FileReport / LoadResult: what was read, skipped and why
    limits        size caps on what is read (bars, notes, file size)

May import: ``studio.music``'s language (types, chords, encoding...), mido, numpy. Never
torch, Qt, or the rooms above (perform, notation, audio, generation, analysis, live).
"""
