"""The performance of a take: the renderer that turns the grid (the score the model
writes) into played time and dynamics, and the band beside the soloist.

    feel          Feel (swing by tempo, humanize, seed), TimingMap: the swing renderer;
                  phrase_velocities (dynamics)
    feel_table    the corpus's swing by tempo as data (made by corpus.swing)
    articulation  how long notes sound: written (the lead sheet's) or the players' holds
    hold_table    the players' hold ratios by tempo as data (made by corpus.swing --holds)
    performance   perform(take, feel) -> Performance; performance_events (live playback)
    band          comping voicings and a walking bass under the chart
    instruments   the solo's instrument: GM program, range, its players' register

May import: ``studio.music``'s language only. Never torch, Qt, files or sound.
"""
