"""Qt-free jazz: chords, charts, WJazzD/MIDI ingest, event encoding, generation, MIDI
export, a built-in synth, playback and metrics. Never imports PySide6.

Modules (import what you need; nothing heavy is imported here):
    chords       parse_chord, Chord, chord_tones, scale_for
    types        Note, ChordSpan, Solo (12 ticks per beat)
    wjazzd       load_wjazzd(folder) -> LoadResult(solos, files)
    midi_corpus  load_midi_folder(path, lead), read_midi_solo(path, lead)
    lead_pick    pick_lead / choose_lead: the lead part of an arrangement
    chord_infer  infer_chords: chords per half bar from the accompaniment
    splits       holdout: validation solos (or bars) for corpora of any size
    encoding     jazz_vocab_tokens, encode_solo, decode_tokens, transpose_solo, split_solos
    jazz_data    load_jazz_corpus(path, chords) -> JazzCorpus; training_streams(corpus, seed)
    chart        parse_chart, chart_to_spans, chart_bar_count, PRESETS
    grammar      ChartGrammar (the sampler Constraint)
    generate     JazzSettings, generate_solo / generate_takes -> Take
    tempo        TEMPO_EDGES, tempo_bucket, bucket_label (shared tempo buckets)
    swing        corpus / rendered swing measurement (read_solo_timing, swing_by_tempo ...)
    feel         Feel (swing, humanize, seed), TimingMap, phrase_velocities; feel_table (data)
    band         comping_notes (rhythm, voice leading), bass_notes (walking)
    performance  perform(take, feel) -> Performance; performance_events (for live playback)
    keys         estimate_key, spelling (key signatures, the user's sharps/flats)
    midi_out     solo_to_midi, write_midi (the performance as type-1 MIDI)
    leadsheet    write_musicxml (music21 lead sheet: chord symbols, key, swing marking, bass)
    synth        render_solo, write_wav, render_soundfont (optional FluidSynth)
    playback     audio_status, Player, AudioUnavailable
    metrics      solo_metrics, corpus_metrics, NgramIndex, longest_shared_ngram
    evaluate     evaluate_jazz (for `sequence-studio eval`)
"""
