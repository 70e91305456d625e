"""The bench command runs and reports ratios (its figures are not asserted: no timed tests)."""

from studio.core import bench


def test_bench_reports_every_figure_as_a_ratio():
    s = bench.sampling_figures(tokens=8, rerun_tokens=8)
    for batch in ("batch_1", "batch_64"):
        row = s[batch]
        assert row["ours_tok_s"] > 0 and row["ratio_vs_nn_lstm_step"] > 0 and row["ratio_vs_rerun_prefix"] > 0
    t = bench.trainer_figures(steps=4, rounds=1)
    assert t["ratio_trainer_vs_bare"] > 0
    assert all(v > 0 for v in bench.load_figures().values())
