"""Tempo buckets: one definition for the feel measurements, the renderer's tables and reports.

Jazz changes character with tempo: WJazzD players swing their eighths hardest at medium
tempos (about 1.6 : 1 at 140-200 bpm) and play nearly straight in ballads' double time and
at bebop tempos (about 1.1 : 1 at 280+), and they play fewer, longer notes per bar as the
tempo rises. Figures "by tempo bucket" compare like with like. The edges put a boundary at
140 and at 200 bpm, where issue 11's notes-per-bar targets split, and hold 38-90 WJazzD
solos each.
"""

from __future__ import annotations

from bisect import bisect_right

TEMPO_EDGES: tuple[int, ...] = (100, 140, 170, 200, 240, 280)


def tempo_bucket(bpm: float, edges: tuple[int, ...] = TEMPO_EDGES) -> int:
    """Index of the bucket holding ``bpm``: 0 for below the first edge, len(edges) for the last."""
    return bisect_right(edges, bpm)


def bucket_label(index: int, edges: tuple[int, ...] = TEMPO_EDGES) -> str:
    """'<100', '100-139', ..., '>=280' (bpm)."""
    if index <= 0:
        return f"<{edges[0]}"
    if index >= len(edges):
        return f">={edges[-1]}"
    return f"{edges[index - 1]}-{edges[index] - 1}"


def bucket_labels(edges: tuple[int, ...] = TEMPO_EDGES) -> list[str]:
    return [bucket_label(i, edges) for i in range(len(edges) + 1)]


def tempo_label(bpm: float, edges: tuple[int, ...] = TEMPO_EDGES) -> str:
    return bucket_label(tempo_bucket(bpm, edges), edges)
