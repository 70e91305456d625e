import pytest

from studio.core.corpus import CorpusError
from studio.core.data import load_corpus
from studio.core.devices import device_choices, resolve_device


def test_names_split_is_deterministic_and_reports_rejections(tmp_path, names_file):
    a = load_corpus(names_file, "names")
    b = load_corpus(names_file, "names")
    assert a.val_items == b.val_items and len(a.val_items) == round(a.report["items"] * 0.1)
    assert not set(a.val_items) & set(a.train_items)
    messy = tmp_path / "messy.txt"
    messy.write_text("Rex\nrex\n\n" + "x" * 80 + "\ntri\tceratops\nstego\n", encoding="utf-8")
    c = load_corpus(messy, "names")
    reasons = {r["reason"] for r in c.report["rejected_lines"]}
    assert c.report["items"] == 2 and "duplicate" in reasons
    assert any("longer" in r for r in reasons) and any("tab" in r for r in reasons)


def test_text_validation_is_last_tenth(text_file):
    c = load_corpus(text_file, "text")
    n = c.train_ids.numel() + c.val_ids.numel()
    assert c.val_ids.numel() == n - int(n * 0.9)
    assert c.vocab.decode(c.val_ids.tolist()) == text_file.read_text()[int(n * 0.9):]


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"\x00\x01\x02binary" * 20, "binary"),
    ("caf\u00e9\n".encode("latin-1") * 40, "not UTF-8"),
])
def test_bad_corpora_get_clear_messages(tmp_path, content, message):
    path = tmp_path / "c.txt"
    path.write_bytes(content)
    for kind in ("names", "text"):
        with pytest.raises(CorpusError, match=message):
            load_corpus(path, kind)


def test_missing_corpus_and_folder(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        load_corpus(tmp_path / "nope.txt", "text")
    with pytest.raises(CorpusError, match="folder"):
        load_corpus(tmp_path, "names")


def test_device_fallback_messages():
    dev, note = resolve_device("cpu")
    assert dev.type == "cpu" and note is None
    names = [c[0] for c in device_choices()]
    assert names == ["auto", "cpu", "cuda", "mps"]
    for name, ok, why in device_choices():
        if not ok:
            dev, note = resolve_device(name)
            assert dev.type == "cpu" and "not available" in note and why in note
    dev, note = resolve_device("tpu")
    assert dev.type == "cpu" and "unknown" in note
