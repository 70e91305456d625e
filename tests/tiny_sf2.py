"""A minimal valid SoundFont 2 file, written here so the SoundFont tests always run.

One looped sample (a few harmonics, 100 samples a cycle at 44 kHz: 440 Hz at key 69) and
one instrument that plays it over the whole keyboard; presets for the GM programs the
renderer asks for (``programs``), all on that instrument. About 8 KB. The layout follows
the SoundFont 2.01 specification: RIFF 'sfbk' with INFO, sdta (smpl) and pdta (phdr,
pbag, pmod, pgen, inst, ibag, imod, igen, shdr), each pdta list ending in a terminal record.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

RATE, ROOT, PERIOD, CYCLES = 44000, 69, 100, 40

# generator numbers (SoundFont 2.01, section 8.1.3)
INSTRUMENT, KEY_RANGE, SAMPLE_ID, SAMPLE_MODES, OVERRIDING_ROOT_KEY = 41, 43, 53, 54, 58


def _chunk(tag: bytes, data: bytes) -> bytes:
    pad = b"\0" if len(data) % 2 else b""
    return tag + struct.pack("<I", len(data)) + data + pad


def _list(kind: bytes, *chunks: bytes) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _name(text: str) -> bytes:
    return text.encode("ascii")[:19].ljust(20, b"\0")


def _wave() -> np.ndarray:
    t = np.arange(PERIOD * CYCLES) / PERIOD
    tone = (np.sin(2 * np.pi * t) + 0.5 * np.sin(4 * np.pi * t) + 0.25 * np.sin(6 * np.pi * t))
    return (tone / np.abs(tone).max() * 0.8 * 32767).astype("<i2")


def sf2_bytes(programs=(0, 32, 66)) -> bytes:
    wave = _wave()
    smpl = wave.tobytes() + b"\0" * 2 * 46          # 46 zero samples after each sample
    info = _list(b"INFO", _chunk(b"ifil", struct.pack("<HH", 2, 1)),
                 _chunk(b"isng", b"EMU8000\0"), _chunk(b"INAM", b"tiny test font\0\0"))
    sdta = _list(b"sdta", _chunk(b"smpl", smpl))
    programs = sorted(set(programs))
    phdr = b"".join(struct.pack("<20sHHHIII", _name(f"tone {p}"), p, 0, i, 0, 0, 0)
                    for i, p in enumerate(programs))
    phdr += struct.pack("<20sHHHIII", _name("EOP"), 0, 0, len(programs), 0, 0, 0)
    pbag = b"".join(struct.pack("<HH", i, 0) for i in range(len(programs) + 1))
    pgen = b"".join(struct.pack("<HH", INSTRUMENT, 0) for _ in programs) + struct.pack("<HH", 0, 0)
    inst = struct.pack("<20sH", _name("tone"), 0) + struct.pack("<20sH", _name("EOI"), 1)
    ibag = struct.pack("<HH", 0, 0) + struct.pack("<HH", 4, 0)
    igen = (struct.pack("<HBB", KEY_RANGE, 0, 127) + struct.pack("<HH", OVERRIDING_ROOT_KEY, ROOT)
            + struct.pack("<HH", SAMPLE_MODES, 1) + struct.pack("<HH", SAMPLE_ID, 0)
            + struct.pack("<HH", 0, 0))
    n = len(wave)
    shdr = struct.pack("<20sIIIIIBbHH", _name("tone"), 0, n, 0, n, RATE, ROOT, 0, 0, 1)
    shdr += struct.pack("<20sIIIIIBbHH", _name("EOS"), 0, 0, 0, 0, 0, 0, 0, 0, 0)
    empty_mod = b"\0" * 10
    pdta = _list(b"pdta", _chunk(b"phdr", phdr), _chunk(b"pbag", pbag), _chunk(b"pmod", empty_mod),
                 _chunk(b"pgen", pgen), _chunk(b"inst", inst), _chunk(b"ibag", ibag),
                 _chunk(b"imod", empty_mod), _chunk(b"igen", igen), _chunk(b"shdr", shdr))
    body = b"sfbk" + info + sdta + pdta
    return b"RIFF" + struct.pack("<I", len(body)) + body


def write_sf2(path, programs=(0, 32, 66)) -> Path:
    path = Path(path)
    path.write_bytes(sf2_bytes(programs))
    return path
