"""Micro-timing measured in WJazzD (generated: python -m studio.music.corpus.swing FOLDER --table).

416 solos. TEMPOS: median tempo (bpm) of the solos in each tempo bucket
(studio.music.tempo). POSITIONS[(division, tatum)]: the median played onset, as a
fraction of the beat after the band's beat, of notes annotated on that tatum, one
value per tempo; None where the bucket has fewer than 30 such notes (the renderer
then uses the nearest tempo that has a value).
"""

TEMPOS = (70.6, 126.0, 151.8, 182.8, 218.1, 257.5, 297.9)

POSITIONS = {
    (1, 1): (0.06, 0.087, 0.098, 0.072, 0.05, 0.061, 0.044),
    (2, 1): (0.07, 0.095, 0.096, 0.076, 0.058, 0.057, 0.021),
    (2, 2): (0.552, 0.591, 0.612, 0.604, 0.584, 0.571, 0.519),
    (3, 1): (0.057, 0.06, 0.057, 0.042, 0.024, 0.021, -0.022),
    (3, 2): (0.358, 0.359, 0.352, 0.35, 0.351, 0.341, 0.345),
    (3, 3): (0.696, 0.704, 0.703, 0.699, 0.693, 0.7, 0.709),
    (4, 1): (0.035, 0.025, 0.019, 0.006, -0.012, -0.034, -0.062),
    (4, 2): (0.258, 0.26, 0.249, 0.236, 0.243, 0.245, 0.258),
    (4, 3): (0.509, 0.514, 0.511, 0.507, 0.502, 0.495, 0.478),
    (4, 4): (0.793, 0.792, 0.791, 0.792, 0.805, 0.802, 0.796),
    (6, 1): (0.018, 0.008, -0.003, -0.013, -0.024, -0.078, None),
    (6, 2): (0.155, 0.16, 0.163, 0.159, 0.156, 0.143, None),
    (6, 3): (0.324, 0.336, 0.338, 0.334, 0.345, 0.322, None),
    (6, 4): (0.493, 0.497, 0.499, 0.508, 0.51, None, None),
    (6, 5): (0.66, 0.668, 0.671, 0.674, 0.665, 0.672, None),
    (6, 6): (0.87, 0.891, 0.893, 0.891, 0.879, 0.85, None),
}
