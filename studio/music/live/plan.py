"""Where the trading blocks fall, and where a call ends when the player falls silent.

Blocks alternate player, model, player ... each ``bars`` long from bar 0. With
end-of-phrase detection by silence (``--phrase-end silence:BEATS``, as Magenta's
call-and-response ends a call) a player's block may end early: once the player, having
played, has been silent ``BEATS`` beats, the answer starts at the first bar line at
least ``LEAD_BEATS`` later (time to draw it: the answer is still on time), and every
later block moves with it. ``BlockPlan`` keeps those re-bases; a DAW's locate resets it.
"""

from __future__ import annotations

import math

LEAD_BEATS = 2.0          # an answer asked this long before its downbeat is ready in time


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
