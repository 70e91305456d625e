"""Where each instrument's players sit in WJazzD: the registers and ranges behind
``studio/music/perform/instruments.py``.

    python training/instrument_registers.py [--corpus ../shared/corpora/jazz]

Reads the training and validation solos of the shipped models' split
(``splits.report_split``; the test split is never read, so the registers it sets for the
discriminator's takes are not tuned on the solos it judges) and prints, per instrument, the
note-weighted mean MIDI pitch (the register a take on that instrument is centred on) and
the 2nd / 98th percentiles (what the players really reach: the instrument's default range).

WJazzD names the performer in each title but its solos here carry no instrument, so the
performers are assigned below by the instrument they play in WJazzD; players heard on two
horns there (Coltrane, Liebman, Shorter, Branford Marsalis, Stitt) are left out rather than
guessed per solo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.music.corpus.dataset import load_jazz_corpus  # noqa: E402
from studio.music.corpus.splits import report_split  # noqa: E402
from studio.music.fingerprint import performer_of  # noqa: E402

PLAYERS = {
    "trumpet": "BixBeiderbecke BuckClayton CharlieShavers ChetBaker CliffordBrown DizzyGillespie "
               "DonEllis FatsNavarro FreddieHubbard HarryEdison HenryAllen KennyDorham "
               "KennyWheeler LeeMorgan LouisArmstrong MilesDavis NatAdderley RexStewart "
               "RoyEldridge WoodyShaw WyntonMarsalis",
    "alto sax": "ArtPepper BennyCarter CannonballAdderley CharlieParker EricDolphy JohnnyHodges "
                "KennyGarrett LeeKonitz PaulDesmond PhilWoods SteveColeman",
    "tenor sax": "BenWebster BobBerg ChrisPotter ChuBerry ColemanHawkins DavidMurray DexterGordon "
                 "DonByas GeorgeColeman HankMobley JoeHenderson JoeLovano JoshuaRedman "
                 "LesterYoung MichaelBrecker SonnyRollins StanGetz VonFreeman WarneMarsh ZootSims",
    "soprano sax": "SidneyBechet SteveLacy",
    "baritone sax": "GerryMulligan PepperAdams",
    "trombone": "CurtisFuller DickieWells JJJohnson KaiWinding KidOry SteveTurre",
    "clarinet": "BennyGoodman JohnnyDodds",
    "vibraphone": "LionelHampton MiltJackson",
    "guitar": "PatMartino PatMetheny",
}


def registers(solos) -> list[tuple[str, int, int, float, int, int]]:
    """(instrument, players heard, notes, mean pitch, 2nd and 98th percentile) per instrument."""
    import numpy as np

    of = {p: name for name, players in PLAYERS.items() for p in players.split()}
    pitches: dict[str, list[int]] = {name: [] for name in PLAYERS}
    heard: dict[str, set[str]] = {name: set() for name in PLAYERS}
    for solo in solos:
        name = of.get(performer_of(solo.title))
        if name:
            pitches[name] += [n.pitch for n in solo.notes]
            heard[name].add(performer_of(solo.title))
    rows = []
    for name, values in pitches.items():
        if values:
            lo, hi = np.percentile(values, [2, 98])
            rows.append((name, len(heard[name]), len(values), float(np.mean(values)), int(round(lo)),
                         int(round(hi))))
    return rows


def main(argv=None) -> int:
    from studio.paths import corpora_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="the WJazzD folder (default ../shared/corpora/jazz)")
    args = ap.parse_args(argv)
    path = args.corpus or ((corpora_dir() or Path("missing")) / "jazz")
    if not path.is_dir():
        raise SystemExit(f"no jazz corpus at {path}: pass --corpus")
    split = report_split(load_jazz_corpus(path).solos)
    print(f"{len(split.train) + len(split.val)} training and validation solos (the test split unread)")
    print("| instrument | players | notes | register (mean pitch) | 2nd pct | 98th pct |\n|---|---|---|---|---|---|")
    for name, players, notes, mean, lo, hi in registers(split.train + split.val):
        print(f"| {name} | {players} | {notes} | {mean:.1f} | {lo} | {hi} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
