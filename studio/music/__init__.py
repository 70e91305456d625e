"""Jazz, Qt-free. The modules here are the language every room speaks and the
model-facing core; the rooms below hold the jobs around it.

The language of a solo (imports nothing from the rooms):
    types        Note, ChordSpan, Solo (12 ticks per beat)
    chords       parse_chord, Chord, chord_tones, scale_for
    chart        parse_chart, chart_to_spans, chart_bar_count, PRESETS
    form         where a bar sits in the chorus; chorus starts
    tempo        TEMPO_EDGES, tempo_bucket, bucket_label (shared tempo buckets)
    encoding     jazz_vocab_tokens, encode_solo, decode_tokens, transpose_solo
    grammar      ChartGrammar (the sampler Constraint that forces the chart's tokens)
    metrics      solo_metrics, intervals, chord-tone share, NgramIndex
    fingerprint  a checkpoint's fingerprint of its training solos (copy guard, idiom)
Generation (the model-facing core; may import the rooms corpus, perform, notation, audio):
    generate     JazzSettings, generate_solo / generate_takes -> Take
    continuation continue_takes: keep a take's first N bars, play the rest again
    licks        the licks the training players share; lick_bias: their sampler bias
    line_bias    the interval calibration: the players' share of repeats, steps and leaps

Rooms (each package's docstring says what it may import):
    corpus/      solos in: WJazzD, the user's MIDI (lead pick, chord inference), splits
    perform/     the performance: swing and timing renderer (feel), dynamics, the band
    notation/    files for other programs: type-1 MIDI, MusicXML lead sheets, keys
    audio/       the built-in synth, SoundFont rendering, playback
    analysis/    phrasing figures, jazz-report, held-out evaluation
    live/        real MIDI ports: the band, trading fours, the generation worker

Rooms stack: language < corpus < perform < notation < audio < generation < analysis, live
(tests/test_import_rules.py). Never imports PySide6; nothing heavy is imported here.
"""
