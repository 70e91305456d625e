"""Vocabularies: tokens <-> ids, saved inside every checkpoint.

Two kinds share one class. A "char" vocabulary (text, names) has one token per character;
an "event" vocabulary (jazz) has one token per event name such as ``PITCH_60``. Both start
with two specials: ``<end>`` (id 0), which starts and ends a name or a solo, and ``<unk>``
(id 1), which stands for a character the corpus never had when a caller asks for it.

Characters outside the vocabulary are handled by an explicit policy: ``"reject"`` (the
default) raises :class:`VocabError` naming the character, its line and column; ``"unk"``
maps it to ``<unk>``. A vocabulary is never rebuilt from a corpus at sampling time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

END = "<end>"
UNK = "<unk>"
SPECIALS = (END, UNK)


class VocabError(ValueError):
    """A sequence holds a token the vocabulary does not know."""


class Vocab:
    def __init__(self, tokens: Sequence[str], kind: str = "char"):
        if kind not in ("char", "event"):
            raise VocabError(f"unknown vocabulary kind {kind!r}")
        tokens = list(tokens)
        if tokens[:2] != list(SPECIALS):
            raise VocabError("a vocabulary must start with <end> and <unk>")
        if len(set(tokens)) != len(tokens):
            raise VocabError("a vocabulary must not repeat a token")
        if kind == "char" and any(len(t) != 1 for t in tokens[2:]):
            raise VocabError("a char vocabulary holds single characters only")
        self.tokens = tokens
        self.kind = kind
        self.index = {t: i for i, t in enumerate(tokens)}
        self.end_id = 0
        self.unk_id = 1

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_text(cls, text: str | Iterable[str]) -> "Vocab":
        chars: set[str] = set()
        if isinstance(text, str):
            chars.update(text)
        else:
            for line in text:
                chars.update(line)
        chars.discard("")
        return cls(list(SPECIALS) + sorted(chars), kind="char")

    @classmethod
    def from_tokens(cls, tokens: Iterable[str], kind: str = "event") -> "Vocab":
        rest = [t for t in tokens if t not in SPECIALS]
        return cls(list(SPECIALS) + rest, kind=kind)

    # -- coding -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def encode(self, seq: str | Sequence[str], policy: str = "reject") -> list[int]:
        if policy not in ("reject", "unk"):
            raise VocabError(f"unknown out-of-vocabulary policy {policy!r}")
        ids = []
        line, col = 1, 0
        for token in seq:
            col += 1
            i = self.index.get(token)
            if i is None or i < 2:
                if policy == "unk":
                    i = self.unk_id
                else:
                    multiline = isinstance(seq, str) and "\n" in seq
                    where = (f" (line {line}, column {col})" if multiline else
                             f" (position {col})" if self.kind == "char" else f" (position {len(ids) + 1})")
                    raise VocabError(f"{_show(token)} is not in the model's vocabulary{where}"
                                     f"{self._suggestion(token)}")
            ids.append(i)
            if token == "\n":
                line, col = line + 1, 0
        return ids

    def _suggestion(self, token: str) -> str:
        """A hint for a character the model lacks: its lowercase or unaccented twin when
        the model has that, else what the model does know (when that list is short)."""
        if self.kind != "char" or len(token) != 1:
            return ""
        import unicodedata

        for twin in (token.lower(), token.upper(),
                     unicodedata.normalize("NFKD", token).encode("ascii", "ignore").decode()):
            if twin and twin != token and all(c in self.index for c in twin):
                return f"; did you mean {twin!r}?"
        known = "".join(t for t in self.tokens[2:] if t.isprintable() and t != " ")
        if len(known) <= 40:
            return f"; this model knows only {known!r}" + (", space" if " " in self.index else "")
        return ""

    def decode(self, ids: Iterable[int]) -> str | list[str]:
        out = [self.tokens[int(i)] for i in ids]
        if self.kind == "event":
            return out
        return "".join("" if t == END else "?" if t == UNK else t for t in out)

    def token_text(self, i: int) -> str:
        """One token as a person reads it (for probability views)."""
        t = self.tokens[int(i)]
        if t == "\n":
            return "\u21b5"
        if t == " ":
            return "\u2423"
        return t

    # -- storage ------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"kind": self.kind, "tokens": self.tokens}

    @classmethod
    def from_json(cls, data: dict) -> "Vocab":
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
            raise VocabError("vocabulary metadata is missing or malformed")
        if not all(isinstance(t, str) for t in data["tokens"]):
            raise VocabError("vocabulary tokens must be strings")
        return cls(data["tokens"], kind=data.get("kind", "char"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and other.tokens == self.tokens and other.kind == self.kind

    def __repr__(self) -> str:
        return f"Vocab({self.kind}, {len(self)} tokens)"


def _show(token: str) -> str:
    if len(token) == 1 and not token.isprintable():
        return f"character U+{ord(token):04X}"
    if len(token) == 1:
        return f"character {token!r} (U+{ord(token):04X})"
    return f"token {token!r}"
