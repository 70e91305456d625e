"""Where the trading blocks fall, and where a call ends when the player falls silent.

Blocks alternate player, model, player ... each ``bars`` long from bar 0. With
end-of-phrase detection by silence (``--phrase-end silence:BEATS``, as Magenta's
call-and-response ends a call) a player's block may end early: once the player, having
played, has been silent ``BEATS`` beats, the answer starts at the first bar line at
least ``LEAD_BEATS`` later (time to draw it: the answer is still on time), and every
later block moves with it. ``BlockPlan`` keeps those re-bases; a DAW's locate resets
it. ``TradeSettings``: what the user chose for the trades.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from studio.music.live.response import RESPONSE_MODES

LEAD_BEATS = 2.0          # an answer asked this long before its downbeat is ready in time
TRADE_LENGTHS = (2, 4, 8)
QUANTIZE_GRIDS = {1: "off", 3: "16th", 4: "8th triplet", 6: "8th"}   # ticks (12 a beat): name


@dataclass
class TradeSettings:
    bars: int = 4                  # bars each side plays: 2, 4 or 8
    call_response: bool = False
    candidates: int = 4            # answers drawn (echo, develop) while there is time
    player_first: bool = True
    trades: int = 0                # player + model pairs before the session ends; 0 = until stopped
    quantize: int = 1              # input grid in ticks (12 a beat): 1, 3 (16ths), 4, 6 (8ths)
    latency_ms: float = 0.0        # the input's delivery delay, taken off every note's time
    late_ms: float = 60.0          # notes this late after the bar line still end the phrase
    mode: str = "free"             # free | develop | echo | contrast (RESPONSE_MODES)
    silence_beats: float = 0.0     # > 0: a call ends after this many silent beats (plan.py)

    def __post_init__(self):
        if self.call_response and self.mode == "free":
            self.mode = "echo"         # the older switch: quoting the call is echo mode

    def validate(self) -> None:
        if self.bars not in TRADE_LENGTHS:
            raise ValueError(f"trade length must be one of {', '.join(map(str, TRADE_LENGTHS))} bars")
        if not 1 <= self.candidates <= 16:
            raise ValueError("candidates must be between 1 and 16")
        if self.trades < 0:
            raise ValueError("trades must be >= 0")
        if self.mode not in RESPONSE_MODES:
            raise ValueError("response mode must be one of " + ", ".join(RESPONSE_MODES))
        if self.quantize not in QUANTIZE_GRIDS:
            raise ValueError("input quantize must be one of " + ", ".join(QUANTIZE_GRIDS.values()))
        if not 0 <= self.latency_ms <= 500 or not 0 <= self.late_ms <= 250:
            raise ValueError("input latency must be 0..500 ms and the late window 0..250 ms")
        if self.silence_beats and not 0.5 <= self.silence_beats <= 16:
            raise ValueError("the silence that ends a phrase must be 0.5..16 beats (0: off)")


class BlockPlan:
    def __init__(self, bars: int, bar_s: float, player_first: bool = True):
        self.bars, self.bar_s, self.player_first = bars, bar_s, player_first
        self._bases: list[tuple[int, int]] = [(0, 0)]    # (block, its first bar), ascending

    def role(self, k: int) -> str:
        return "player" if (k % 2 == 0) == self.player_first else "model"

    def bar(self, k: int) -> int:
        """Block k's first bar (from 0)."""
        k0, bar0 = max((b for b in self._bases if b[0] <= k), default=(0, 0))
        return bar0 + (k - k0) * self.bars

    def span(self, k: int) -> tuple[float, float]:
        """Block k's song seconds: from its first bar to the next block's."""
        return self.bar(k) * self.bar_s, self.bar(k + 1) * self.bar_s

    def rebase(self, k: int, bar: int) -> None:
        """Block k starts at ``bar`` (the call before it ended early); later ones follow."""
        self._bases = [b for b in self._bases if b[0] < k] + [(k, bar)]

    def reset(self) -> None:
        self._bases = [(0, 0)]

    def block_at(self, song_s: float) -> int:
        """The block that holds song time ``song_s``."""
        k = 0
        while self.span(k + 1)[0] <= song_s + 1e-6:
            k += 1
        return k


def silence_end(notes, start: float, now: float, silence_s: float, bar_s: float,
                lead_s: float) -> int | None:
    """Has the call that began at song time ``start`` ended by ``now``: the player has
    played (``notes``: (on, off, pitch, velocity), off None while held) and nothing has
    sounded for ``silence_s``? Then the bar (from 0) the answer starts at: the first bar
    line ``lead_s`` or more after ``now``. None: the call goes on."""
    if not notes or any(off is None for _on, off, _p, _v in notes):
        return None
    last = max(max(on, off) for on, off, _p, _v in notes)
    if now - last < silence_s or last < start:
        return None
    return math.ceil((now + lead_s) / bar_s - 1e-9)
