"""Fuzz: the WJazzD reader and the event encoder, through the jazz domain's corpus loader.
A folder of melody/beats CSV pairs (and sometimes an index.csv) with random numbers in
every column: huge, negative, nan/inf, text, missing cells. ``load_wjazzd`` reports bad
solos instead of raising; the domain's ``load_corpus`` raises ``CorpusError`` only."""

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import studio.domains  # noqa: F401
from studio.core.corpus import CorpusError
from studio.core.data import load_corpus
from studio.music.corpus.wjazzd import WjazzdError, load_wjazzd

NUMBER = st.one_of(
    st.integers(-3, 8).map(str), st.integers(-10**7, 10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr).map(lambda r: r.replace("nan", "nan")),
    st.sampled_from(["", "x", "1e308", "-0", " 4", "inf", "-inf", "nan"]))
CHORD = st.sampled_from(["", "C7", "Bbj7", "F-7", "G7alt", "C-/Bb", "NC", "??", "Ebj7911#", "x"])
MELODY_COLS = ["bar", "beat", "beatdur", "denom", "division", "duration", "num", "onset",
               "period", "pitch", "subtatum", "tatum"]


@st.composite
def melody_csv(draw):
    cols = list(MELODY_COLS)
    if draw(st.integers(0, 7)) == 0:
        cols.remove(draw(st.sampled_from(cols)))  # a missing column now and then
    rows = []
    for i in range(draw(st.integers(0, 30))):
        plain = {"bar": str(1 + i // 4), "beat": str(1 + i % 4), "beatdur": "0.5", "denom": "4",
                 "division": "2", "duration": "0.2", "num": "4", "onset": "0", "period": "4",
                 "pitch": str(60 + i % 12), "subtatum": "0", "tatum": "1"}
        if draw(st.integers(0, 40)) == 0:  # most rows plausible, so solos get through to encoding
            for col in draw(st.lists(st.sampled_from(MELODY_COLS), min_size=1, max_size=3)):
                plain[col] = draw(NUMBER)
        row = [plain[c] for c in cols]
        if draw(st.integers(0, 20)) == 0:
            row = row[: draw(st.integers(0, len(row)))]  # a short row
        rows.append(",".join(row))
    return ",".join(cols) + "\n" + "\n".join(rows) + "\n"


@st.composite
def beats_csv(draw):
    def cell(plain):
        return draw(NUMBER) if draw(st.integers(0, 60)) == 0 else plain

    rows = [f"{cell(str(b))},{cell(str(k))},{draw(CHORD)}"
            for b in range(1, draw(st.integers(0, 8)) + 1) for k in range(1, 5)]
    return "bar,beat,chord\n" + "\n".join(rows) + "\n"


@st.composite
def folders(draw):
    solos = [(f"S{i}", draw(melody_csv()), draw(beats_csv())) for i in range(draw(st.integers(1, 3)))]
    index = None
    if draw(st.booleans()):
        lines = [f"{t},csv_melody/{t}_Solo.csv,csv_beats/{t}_Solo.csv" for t, _, _ in solos]
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["Short,csv_melody/x.csv", ",,", "Missing,a.csv,b.csv",
                                               "\x00bad", '"unclosed,a,b'])))
        index = "solo,melody_csv,beats_csv\n" + "\n".join(lines) + "\n"
    return solos, index


def _write(root: Path, solos, index) -> Path:
    folder = root / "wjazzd"
    (folder / "csv_melody").mkdir(parents=True)
    (folder / "csv_beats").mkdir()
    for title, mel, beats in solos:
        (folder / "csv_melody" / f"{title}_Solo.csv").write_text(mel, encoding="utf-8")
        (folder / "csv_beats" / f"{title}_Solo.csv").write_text(beats, encoding="utf-8")
    if index is not None:
        (folder / "index.csv").write_text(index, encoding="utf-8")
    return folder


@given(folders())
def test_wjazzd_reader_and_encoder(budget, spec):
    with tempfile.TemporaryDirectory() as tmp:
        folder = _write(Path(tmp), *spec)
        size = f"{len(spec[0])} solos, {sum(len(m) + len(b) for _, m, b in spec[0])} bytes"
        budget("wjazzd reader", (WjazzdError,),
               refused=lambda r: any(f.status != "ok" for f in r.files))(load_wjazzd, folder, what=size)
        budget("wjazzd corpus+encoder", (CorpusError,))(load_corpus, folder, "jazz", what=size)
