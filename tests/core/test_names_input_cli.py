"""The CLI reads names input as the window does: lowercased, with a note on stderr."""

from __future__ import annotations

import json

from studio.cli.main import main
from studio.paths import shipped_models_dir

DINOS = str(shipped_models_dir() / "dinos-gru.safetensors")


def test_sample_with_a_capital_start(capsys):
    assert main(["sample", DINOS, "--prime", "Tyr", "-n", "4", "--seed", "3", "--json"]) == 0
    out = capsys.readouterr()
    rows = json.loads(out.out)["samples"]
    assert len(rows) == 4 and all(r["text"].startswith("tyr") for r in rows)
    assert "read as 'tyr'" in out.err


def test_score_with_capitals_equals_lowercase(capsys):
    assert main(["score", DINOS, "Tyrannosaurus", "--json"]) == 0
    upper = json.loads(capsys.readouterr().out)[0]
    assert main(["score", DINOS, "tyrannosaurus", "--json"]) == 0
    lower = json.loads(capsys.readouterr().out)[0]
    assert upper["logprob"] == lower["logprob"] and upper["text"] == "tyrannosaurus"


def test_other_characters_are_named_with_a_suggestion(capsys):
    assert main(["score", DINOS, "stégosaurus"]) == 2
    err = capsys.readouterr().err
    assert "'é'" in err and "did you mean 'e'?" in err and "Traceback" not in err
