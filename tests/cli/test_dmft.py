"""``statlearn dmft``: the printed trajectory is the library's, files, checkpoints, usage errors, exit status."""

import csv
import json

import numpy as np
import pytest

from statlearn.cli import main
from statlearn.dmft import solve
from statlearn.replica.mixture import saddle_point

ARGV = ["dmft", "--loss", "logistic", "--alpha", "2", "--delta", "0.5", "--lam", "0.1", "--eta", "0.5"]


def test_json_matches_the_library(capsys, tmp_path):
    png = tmp_path / "d.png"
    argv = [*ARGV, "--steps", "8", "--n-samples", "2000", "--replicas", "2", "--seed", "3"]
    assert main([*argv, "--json", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    run = solve("logistic", alpha=2, delta=0.5, lam=0.1, eta=0.5, steps=8, n_samples=2000, replicas=2, seed=3)
    np.testing.assert_array_equal(out["columns"]["q"], run.q)
    np.testing.assert_array_equal(out["columns"]["test_error_err"], run.test_error_err)
    fixed = saddle_point("logistic", 0.1, alpha=2, delta=0.5)
    assert out["replica_fixed_point"]["m"] == pytest.approx(fixed.m, rel=1e-12)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_csv_and_checkpoint(capsys, tmp_path):
    table, store = tmp_path / "d.csv", tmp_path / "run"
    argv = [*ARGV, "--steps", "6", "--n-samples", "1500", "--replicas", "3", "--batch-fraction", "0.3"]
    assert main([*argv, "--persistence", "1", "--csv", str(table), "--checkpoint", str(store), "--every", "3"]) == 0
    out = capsys.readouterr().out
    assert "persistent SGD" in out and "replica ERM" not in out  # no fixed point is claimed for SGD
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["0", "1.5", "3"]
    with open(table) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7 and float(rows[0]["m"]) == 0.0
    assert len(list(store.glob("replica-*.npz"))) == 3


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--steps", "5", "--batch-fraction", "1.5"], "--batch-fraction"),
        (["--steps", "5", "--persistence", "0.1"], "persistence"),
        (["--steps", "0"], "--steps"),
        (["--steps", "5", "--loss", "cubic"], "loss"),
        (["--steps", "100000", "--n-samples", "100000", "--replicas", "2"], "memory_limit"),
    ],
)
def test_usage_errors(capsys, extra, needle):
    with pytest.raises(SystemExit) as exit_info:
        main([*ARGV, *extra])
    assert exit_info.value.code == 2
    assert needle in capsys.readouterr().err


def test_divergence_exits_with_1(capsys):
    argv = ["dmft", "--loss", "square", "--alpha", "2", "--delta", "0.5", "--lam", "0.1", "--eta", "3", "--steps", "60"]
    assert main([*argv, "--n-samples", "1000", "--replicas", "2"]) == 1
    assert "diverged" in capsys.readouterr().err
