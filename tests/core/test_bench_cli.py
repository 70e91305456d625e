"""``bench --sizes`` (candidate model sizes' CPU sampling speed) and ``bench --device cuda``'s
refusal where there is no GPU. The figures themselves are timings: docs/BENCH.md, not here."""

import json

import pytest
import torch

from studio.cli import main
from studio.bench.engine import parse_sizes


def test_sizes_are_parsed_and_bad_ones_named():
    assert parse_sizes("lstm:2x512, gru:3x64") == [("lstm", 2, 512), ("gru", 3, 64)]
    for bad, why in (("lstm2x512", "CELL:LAYERSxHIDDEN"), ("lstm:2x", "CELL:LAYERSxHIDDEN"),
                     ("tcn:2x8", "cell must be one of"), (",", "no sizes")):
        with pytest.raises(ValueError, match=why):
            parse_sizes(bad)


def test_bench_sizes_reports_each_size(capsys):
    assert main(["bench", "--quick", "--sizes", "lstm:1x16,gru:2x8"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"lstm_1x16", "gru_2x8"}
    # parameters of a 1x16 LSTM over 65 tokens, 64-dim embedding: embed + LSTM + head
    assert out["lstm_1x16"]["parameters"] == 65 * 64 + 4 * 16 * (64 + 16 + 2) + 65 * 16 + 65
    assert out["lstm_1x16"]["batch_1_tok_s"] > 0
    assert main(["bench", "--sizes", "lstm:0x16"]) == 2
    assert "layers must be a positive integer" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here: the refusal cannot happen")
def test_bench_cuda_without_a_gpu_is_one_clear_message(capsys):
    assert main(["bench", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "needs a CUDA GPU" in err and "Traceback" not in err


def test_jazz_bench_times_the_calibrations_on_and_off():
    """The CPU jazz figures carry the calibrations' cost as a ratio of the two rates it
    measured (a shipped model, one chorus: a smoke test of the figures' shape)."""
    from studio.bench.jazz import jazz_figures

    out = jazz_figures("cpu", "jazz-gru", choruses=1)
    assert out["calibrated_tok_s"] > 0 and out["uncalibrated_tok_s"] > 0
    assert out["calibrated_vs_uncalibrated"] == round(out["calibrated_tok_s"] / out["uncalibrated_tok_s"], 2)
