"""Files dropped on the window: a ``.safetensors`` model is imported into the library; a
corpus (a text file, a MIDI file or a folder of them) opens in the Train tab with its
dataset report. Anything else is refused with the reason in the status bar."""

from __future__ import annotations

from pathlib import Path

MODEL_SUFFIXES = (".safetensors",)
CORPUS_SUFFIXES = (".txt", ".text", ".csv", ".mid", ".midi")


def classify(path: str) -> str | None:
    """"model", "corpus" or None (not something the window can use)."""
    p = Path(path)
    if p.is_dir():
        return "corpus"
    if not p.is_file():
        return None
    if p.name.endswith(".last.safetensors"):
        return None  # a resume file belongs to a training run, not the library
    suffix = p.suffix.lower()
    if suffix in MODEL_SUFFIXES:
        return "model"
    if suffix in CORPUS_SUFFIXES:
        return "corpus"
    return None


def local_paths(mime) -> list[str]:
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []


def accepts(mime) -> bool:
    return any(classify(p) for p in local_paths(mime))
