"""``sequence-studio live MODEL``: the band, or trading fours, through real MIDI ports.

Without ``--trade`` it plays the take ``sample`` writes with the same model, chart,
seed and settings (the same notes, channels and times; a count-in on channel 10),
then stops, or with ``--loop`` keeps drawing choruses. With ``--trade N`` the player
plays N bars into the input port and the model answers N bars, until Ctrl+C or
``--trades``. Ports are named by their full name or a unique part (``--list-ports``);
none given: virtual ports "Sequence Studio" (out) and "Sequence Studio in" (in). The MIDI
API is mido's ``MIDO_BACKEND`` or ``--midi-api`` (jack, alsa, coremidi, windows).
``--sync clock`` follows a DAW's MIDI clock into the input, ``--sync link`` an Ableton
Link session (``live/link.py``).
``--bench`` measures timing and answers on a JACK dummy-driver server (docs/LIVE.md).
"""

from __future__ import annotations

import json
import sys

from studio.cli.common import StopSignals, check_seed
from studio.cli.sample import (add_feel_arguments, add_instrument_arguments, add_line_arguments,
                               instrument_values, line_settings)


def add_parser(sub):
    p = sub.add_parser("live", help="play the band or trade fours over MIDI ports, live")
    p.add_argument("model", nargs="?", help="jazz checkpoint file or library model name")
    p.add_argument("--chart", help="chord chart or a preset name (default: Bb blues)")
    p.add_argument("--tempo", type=float, default=160)
    p.add_argument("--choruses", type=int, default=1, help="choruses of the take (band mode)")
    p.add_argument("--seed", type=int, default=None, help="same seed, same take as `sample`")
    p.add_argument("-t", "--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=0)
    p.add_argument("--top-p", type=float, default=1.0)
    add_instrument_arguments(p)
    p.add_argument("--scale-mask", action="store_true", help="only chord-scale pitches")
    p.add_argument("--no-comping", action="store_true")
    p.add_argument("--no-bass", action="store_true")
    line = p.add_argument_group("line and feel (as `sample` takes them)")
    add_line_arguments(line)
    add_feel_arguments(line)
    t = p.add_argument_group("trading")
    t.add_argument("--trade", type=int, choices=(2, 4, 8), help="trade N bars with a player")
    t.add_argument("--trades", type=int, default=0, help="player+model pairs, then stop (0: until Ctrl+C)")
    t.add_argument("--call-response", action="store_true", help="the same as --response echo")
    t.add_argument("--response", choices=("free", "develop", "echo", "contrast"), default="free",
                   help="how answers respond to your phrase: primed only, develop its cells, "
                        "quote then develop it, or contrast it (register)")
    t.add_argument("--candidates", type=int, default=4, help="call and response: answers drawn")
    t.add_argument("--model-first", action="store_true", help="the model opens")
    t.add_argument("--quantize", default="off", choices=("off", "16th", "8th-triplet", "8th"),
                   help="input quantize: the grid the player's phrase is heard on")
    t.add_argument("--input-latency", type=float, default=0.0, metavar="MS",
                   help="how late the keyboard's notes arrive; taken off their times")
    t.add_argument("--phrase-end", default="bars", metavar="bars|silence[:BEATS]",
                   help="bars: your phrase is the block's N bars; silence: it ends once you "
                        "have been silent BEATS beats (default 2) after playing, and the answer "
                        "comes in at the next bar line")
    m = p.add_argument_group("MIDI")
    m.add_argument("--out", dest="out_port", help="output port (default: virtual 'Sequence Studio')")
    m.add_argument("--in", dest="in_port", help="input port (default: virtual 'Sequence Studio in')")
    m.add_argument("--midi-api", help="jack | alsa | coremidi | windows | a mido backend string")
    m.add_argument("--clock", action="store_true", help="send MIDI clock (24 PPQN) and start/stop")
    m.add_argument("--sync", choices=("internal", "clock", "link"), default="internal",
                   help="clock: follow the MIDI clock, Start/Stop/Continue and Song Position "
                        "coming into --in (the DAW leads; band and trading: a player's notes "
                        "may come in on the same port); link: join the Ableton Link session "
                        "on the network (its tempo; the band comes in on its next bar)")
    m.add_argument("--channels", default="1,2,3", metavar="SOLO,COMP,BASS",
                   help="MIDI channels (1-16) of the solo, comping and bass (default 1,2,3)")
    m.add_argument("--no-program-changes", action="store_true",
                   help="send no program changes (the DAW's or synth's sounds stay)")
    m.add_argument("--thru", type=int, metavar="CHANNEL",
                   help="trading: pass your notes on to --out on this channel (MIDI thru)")
    m.add_argument("--count-in", type=int, default=1, help="bars of count-in on channel 10")
    m.add_argument("--loop", action="store_true", help="band mode: keep drawing choruses")
    m.add_argument("--reconnect", action="store_true",
                   help="a lost port: wait for it and play on from the next bar (default: stop, exit 2)")
    m.add_argument("--list-ports", action="store_true", help="list the MIDI ports and exit")
    p.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    b = p.add_argument_group("measuring")
    b.add_argument("--bench", action="store_true", help="measure timing and answers (JSON)")
    b.add_argument("--quick", action="store_true", help="with --bench: a short smoke run")
    b.add_argument("--corpus", help="with --bench: WJazzD folder for the players' phrases")
    return p


def run(args) -> int:
    from studio.music.live.link import LinkUnavailable
    from studio.music.live.ports import MidiUnavailable
    from studio.music.live.worker import WorkerError

    try:
        if args.list_ports:
            return _list_ports(args)
        if args.bench:
            from studio.bench.live import run_live_bench

            result = run_live_bench(quick=args.quick, corpus=args.corpus,
                                    log=lambda line: print(line, file=sys.stderr))
            print(json.dumps(result, indent=2))
            return 0
        return _play(args)
    except (MidiUnavailable, WorkerError, LinkUnavailable) as exc:
        print(f"sequence-studio live: {exc}", file=sys.stderr)
        return 2


def _list_ports(args) -> int:
    from studio.music.live.ports import list_ports

    ports = list_ports(args.midi_api)
    if args.json:
        print(json.dumps(ports.to_json(), indent=2))
        return 0
    print(f"MIDI: {ports.backend}")
    print("outputs (--out):" if ports.outputs else "outputs (--out): none")
    for name in ports.outputs:
        print(f"  {name}")
    print("inputs (--in):" if ports.inputs else "inputs (--in): none")
    for name in ports.inputs:
        print(f"  {name}")
    return 0


def _settings(args):
    from studio.music.chart import PRESETS
    from studio.music.generate import JazzSettings
    from studio.music.perform.feel import Feel

    check_seed(args.seed)
    instrument = instrument_values(args)   # --instrument, --program, --low, --high
    program = instrument.pop("program")
    if args.sync in ("clock", "link"):
        args.count_in, args.clock = 0, False       # the DAW counts in and sends the clock
    if args.sync == "link":
        from studio.music.live.link import require_aalink

        require_aalink()                           # missing: one line, before the model loads
    routing(args)                                  # checked before the model loads
    if not 0 <= args.count_in <= 8:
        raise ValueError(f"--count-in must be 0..8 bars, not {args.count_in}")
    chart = "Bb blues" if args.chart is None else args.chart
    chart = PRESETS.get(chart, chart)
    settings = JazzSettings(temperature=args.temperature, top_p=args.top_p, top_k=args.top_k,
                            seed=args.seed, choruses=args.choruses, tempo=args.tempo,
                            scale_mask=args.scale_mask, **instrument,
                            **line_settings(args))
    settings.validate()
    if args.feel_seed is not None and not 0 <= args.feel_seed < 1 << 63:
        raise ValueError(f"--feel-seed must be a whole number from 0 to {(1 << 63) - 1}, not {args.feel_seed}")
    options = {"program": program, "comping": not args.no_comping, "bass": not args.no_bass,
               "feel": Feel.parse(args.swing, args.humanize, args.feel_seed, args.articulation)}
    return chart, settings, options


def _play(args) -> int:
    from studio.core.library import find_model
    from studio.music.live import clock as live_clock
    from studio.music.live.engine import LiveEngine
    from studio.music.live.ports import open_backend, open_input, open_output
    from studio.music.live.watch import watch_session

    if not args.model:
        raise ValueError("give a jazz model (e.g. jazz-gru), or --list-ports / --bench")
    chart, settings, options = _settings(args)
    path = find_model(args.model)
    backend = open_backend(args.midi_api)          # a missing MIDI system fails before loading
    opened, worker, session, inp, in_callback, link = [], None, None, None, None, None
    with StopSignals():
        try:
            out = open_output(args.out_port, backend=backend)
            opened.append(out)
            engine = LiveEngine(out, midi_clock=args.clock)
            engine.route(**routing(args))
            opened.insert(0, engine)
            if args.trade:
                session, worker = _trade_session(args, path, chart, settings, options, engine)
                in_callback = session.recorder.handle
                if args.sync == "clock":
                    in_callback = _follow_clock(args, session)
                inp = open_input(args.in_port, backend=backend, callback=in_callback)
                opened.append(inp)
                print(f"trading {args.trade} bars: play into {_where(inp)}; the band plays on "
                      f"{_where(out)}" + ("; following the MIDI clock there: start the DAW"
                                          if args.sync == "clock" else ""), file=sys.stderr)
            else:
                session, worker = _take_session(args, path, chart, settings, options, engine)
                if args.sync == "clock":
                    inp = open_input(args.in_port, backend=backend, callback=_follow_clock(args, session))
                    opened.append(inp)
                    print(f"following the MIDI clock into {_where(inp)}: start the DAW", file=sys.stderr)
                print(f"playing on {_where(out)}", file=sys.stderr)
            if args.sync == "link":
                link = _join_link(session)
                opened.append(link)
            session.start()
            if link is not None:
                downbeat = link.start()
                print(f"Ableton Link: the band comes in on the next bar, in "
                      f"{downbeat - live_clock.now():.1f} s", file=sys.stderr)
            opened.insert(0, watch_session(
                session, backend, out.name if args.out_port else None,
                inp.name if inp is not None and args.in_port else None, reconnect=args.reconnect,
                in_callback=in_callback if args.trade else None))
            _follow(session, args)
        except KeyboardInterrupt:
            if session is not None:
                session.stop()
            print("stopped", file=sys.stderr)
        finally:
            for thing in opened:
                thing.close()
            if worker is not None:
                worker.close()
    error = session.error or session.engine.error if session is not None else None
    if args.json and session is not None:
        print(json.dumps({"priority": session.engine.priority, "info": session.info,
                          "answers": getattr(session, "answers", None),
                          "takes": getattr(session, "takes_played", None),
                          "error": None if error is None else str(error)}, indent=2, default=str))
    if isinstance(error, OSError):            # the port went away under the engine
        from studio.music.live.ports import MidiUnavailable

        raise MidiUnavailable(f"the MIDI port failed while playing ({error})")
    if error is not None and getattr(session, "reported", False):
        return 2                              # _follow said it the moment it happened
    if error is not None:
        raise error
    return 0


def _follow_clock(args, session):
    """The session follows the MIDI clock coming into --in (the DAW's Start plays it);
    the input's callback: clock and transport to the follower, notes to the phrase."""
    from studio.music.live.sync import ClockFollower, split_input

    follower = ClockFollower(session.tempo)
    session.follow(follower)
    recorder = getattr(session, "recorder", None)
    return split_input(follower, None if recorder is None else recorder.handle)


def _join_link(session):
    """Join the Ableton Link session (``live/link.py``); the session follows its timeline."""
    from studio.music.live.link import PEER_WAIT_S, LinkTimebase

    link = LinkTimebase(session.tempo).open()
    peers = link.wait_for_peers(PEER_WAIT_S)
    session.follow(link)
    print(f"Ableton Link: {peers} other peer{'' if peers == 1 else 's'}, "
          f"{link.tempo_now:.1f} bpm" + ("" if peers else " (ours: no other app in the session yet)"),
          file=sys.stderr)
    return link


def _where(port) -> str:
    """The port's real name (a second instance's is "Sequence Studio-01:..."), and the
    DAW's or keyboard's port it is connected to."""
    own = getattr(port, "own_name", port.name)
    return repr(own) if own == port.name else f"{own!r} (connected to {port.name!r})"


def _take_session(args, path, chart, settings, options, engine):
    from studio.core.checkpoint import load_checkpoint
    from studio.core.devices import resolve_device
    from studio.music.generate import generate_takes
    from studio.music.live.session import TakeSession
    from studio.music.live.worker import GenerationWorker

    device, note = resolve_device("auto")
    if note:
        print(note, file=sys.stderr)
    take = generate_takes(load_checkpoint(path, device=device), chart, settings)[0]   # as `sample`
    print(f"take: {take.bars} bars, {len(take.solo.notes)} notes, seed {take.seed}", file=sys.stderr)
    worker = None
    if args.loop:
        worker = GenerationWorker(path)
        worker.wait_ready()
    session = TakeSession(engine, take, midi_options=options, count_in_bars=args.count_in,
                          loop=args.loop, worker=worker, chart=chart)
    return session, worker


def _trade_session(args, path, chart, settings, options, engine):
    from studio.music.live.trade import TradeSession, TradeSettings
    from studio.music.live.worker import GenerationWorker

    trade = TradeSettings(bars=args.trade, call_response=args.call_response, mode=args.response,
                          candidates=args.candidates, player_first=not args.model_first,
                          trades=args.trades, latency_ms=args.input_latency,
                          silence_beats=phrase_end_beats(args.phrase_end),
                          quantize={"off": 1, "16th": 3, "8th-triplet": 4, "8th": 6}[args.quantize])
    trade.validate()
    worker = GenerationWorker(path)
    worker.wait_ready()
    return TradeSession(engine, worker, chart, settings, trade, count_in_bars=args.count_in,
                        midi_options=options), worker


def routing(args) -> dict:
    """``LiveEngine.route`` from --channels, --no-program-changes and --thru (0-based)."""
    try:
        chans = [int(c) for c in args.channels.split(",")]
    except ValueError:
        chans = []
    if len(chans) != 3 or not all(1 <= c <= 16 for c in chans):
        raise ValueError(f"--channels must be three channels 1..16 (solo,comping,bass), not {args.channels!r}")
    if args.thru is not None and not 1 <= args.thru <= 16:
        raise ValueError(f"--thru must be a channel 1..16, not {args.thru}")
    return {"channels": {part: c - 1 for part, c in enumerate(chans) if c - 1 != part},
            "program_changes": not args.no_program_changes,
            "thru_channel": None if args.thru is None else args.thru - 1}


def phrase_end_beats(text: str) -> float:
    """``--phrase-end``: bars -> 0 (off), silence -> 2 beats, silence:B -> B beats."""
    kind, _, beats = text.partition(":")
    if kind == "bars" and not beats:
        return 0.0
    if kind == "silence":
        try:
            return float(beats) if beats else 2.0
        except ValueError:
            pass
    raise ValueError(f"--phrase-end must be bars, silence or silence:BEATS, not {text!r}")


def _follow(session, args) -> None:
    """Until the session ends: the bar and beat on a terminal, each answer as it comes."""
    shown, notice = 0, None
    tty = sys.stderr.isatty()
    while not session.wait(0.1):
        if session.notice != notice and session.error is None:
            notice = session.notice
            print(f"\r{notice}", file=sys.stderr)
        answers = getattr(session, "answers", [])
        for answer in answers[shown:]:
            print(f"\ranswer at bar {answer['bar']}: {answer['answer_notes']} notes, ready "
                  f"{answer['ready_before_downbeat_s'] * 1000:.0f} ms before its downbeat"
                  + (f", echo {answer['echo']:.2f}" if answer["echo"] is not None else ""),
                  file=sys.stderr)
        shown = len(answers)
        where = session.bar_beat()
        if tty and where is not None:
            print(f"\r{where[0]}:{where[1]}   ", end="", file=sys.stderr, flush=True)
    if tty:
        print(file=sys.stderr)
    from studio.music.live.ports import MidiUnavailable

    if isinstance(session.error, MidiUnavailable):    # a lost port: say so now, not after
        print(f"sequence-studio live: {session.error}", file=sys.stderr, flush=True)  # closing
        session.reported = True