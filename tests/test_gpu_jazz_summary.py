"""training/gpu_jazz_summary.py: what a sweep run's events say, and which models come back
from the GPU machine (it returns 8 files at most, so the choice must be right)."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("gpu_jazz_summary", ROOT / "training" / "gpu_jazz_summary.py")
summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary)


def test_a_run_stopped_at_the_budget_keeps_its_best_evaluation(tmp_path):
    log = tmp_path / "gru-x.jsonl"
    events = [{"event": "info", "message": "GRU 2x256"},
              {"event": "step", "step": 1, "epoch": 0.01, "progress": 0.001, "tokens_per_s": 10.0},
              {"event": "eval", "step": 66, "val_loss": 1.2},
              {"event": "eval", "step": 132, "val_loss": 0.95},
              {"event": "eval", "step": 198, "val_loss": 0.97},
              {"event": "step", "step": 200, "epoch": 3.03, "progress": 0.5, "tokens_per_s": 9000.0},
              {"event": "stopped", "step": 200}, {"event": "done", "seconds": 12.5}]
    log.write_text("\n".join(map(json.dumps, events)) + '\n{"event": "step", "st')  # cut by SIGTERM
    row = summary.run_row(log)
    assert row["run"] == "gru-x" and row["finished"] is False
    assert (row["best_val"], row["best_step"], row["evals"]) == (0.95, 132, 3)
    assert (row["steps"], row["epoch"], row["tokens_per_s"], row["seconds"]) == (200, 3.03, 9000.0, 12.5)
    events[-2:] = [{"event": "done", "seconds": 20.0}]
    log.write_text("\n".join(map(json.dumps, events)))
    assert summary.run_row(log)["finished"] is True


def _row(run, cell, note=None, best=None, model=True):
    return {"run": run, "cell": cell, "val_nll_note_events": note, "best_val": best, "model": model}


def test_the_best_of_each_cell_by_note_event_nll_then_the_next_best_overall():
    rows = [_row("g1", "gru", 1.70, 0.91), _row("g2", "gru", 1.66, 0.93), _row("g3", "gru", 1.67, 0.90),
            _row("l1", "lstm", 1.74, 0.99), _row("l2", "lstm", 1.69, 0.98),
            _row("g0", "gru", 1.50, 0.80, model=False)]  # no model file: never picked
    assert summary.pick(rows, 3) == ["g2", "l2", "g3"]
    assert summary.pick(rows, 1) == ["g2"]
    assert summary.pick(rows, 9) == ["g2", "l2", "g3", "g1", "l1"]
    # a model that could not be scored ranks by its validation loss, after the scored ones
    rows.append(_row("l3", "lstm", None, 0.50))
    assert summary.pick(rows, 2) == ["g2", "l2"]
    assert summary.pick([_row("l3", "lstm", None, 0.5), _row("l4", "lstm", None, 0.4)], 1) == ["l4"]
