"""The Live window's pool-thread work: opening the ports and the generation process
(``prepare``), and closing whatever was opened (``close_parts``), off the UI thread."""

from __future__ import annotations


def prepare(request, settings, trading: bool, api, out_name, in_name, loop: bool,
            listen: bool = False) -> dict:
    """In a pool thread: the generation process, the first take (band mode), the ports
    (an input when trading, or ``listen``: following a DAW's clock)."""
    from studio.music.live.ports import open_backend, open_input, open_output
    from studio.music.live.worker import GenerationWorker

    parts: dict = {}
    try:
        backend = open_backend(api)
        parts["out"] = open_output(out_name, backend=backend)
        if trading or listen:
            parts["in"] = open_input(in_name, backend=backend)
        parts["backend"] = backend           # the port watch: named ports must stay listed
        parts["names"] = (out_name and parts["out"].name, in_name and parts["in"].name)
        # Always a generation process, band mode too: the UI thread never samples.
        parts["worker"] = GenerationWorker(request.model_path)
        parts["worker"].wait_ready()
        if not trading:
            takes, _ = parts["worker"].submit(request.chart, settings).result()
            parts["take"] = takes[0]
        return parts
    except BaseException:
        close_parts(parts)
        raise


def close_parts(parts: dict) -> None:
    for key in ("watch", "engine", "in", "out"):
        thing = parts.get(key)
        if thing is not None:
            try:
                thing.close()
            except Exception:          # a port that is already gone
                pass
    if parts.get("worker") is not None:
        parts["worker"].close()


def follow_daw(session, port, notes=None) -> None:
    """The session plays to the MIDI clock coming into ``port`` (``sync.ClockFollower``):
    no count-in, no clock of its own; ``notes`` (trading) gets the player's notes from
    the same port."""
    from studio.music.live.sync import ClockFollower, split_input

    follower = ClockFollower(session.tempo)
    session.follow(follower)
    session.count_in_bars, session.engine.midi_clock = 0, False
    port.callback = split_input(follower, notes)
