"""``statlearn mixture``: the printed curve is the library's, files, the exit status."""

import csv
import json

import pytest

from statlearn.cli import main
from statlearn.replica.mixture import bayes_optimal_error, saddle_point, separability_threshold


def test_json_matches_the_library(capsys, tmp_path):
    png = tmp_path / "m.png"
    argv = ["mixture", "--loss", "logistic", "--lam", "0.1", "--alpha", "2", "--delta", "0.5", "--rho", "0.3"]
    assert main([*argv, "--bias", "--json", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    point = saddle_point("logistic", 0.1, alpha=2.0, delta=0.5, rho=0.3, bias=True)
    columns = out["columns"]
    assert columns["test_error"][0] == pytest.approx(point.test_error, rel=1e-9)
    assert columns["bias"][0] == pytest.approx(point.bias, rel=1e-9)
    assert columns["bayes_optimal"][0] == pytest.approx(bayes_optimal_error(2.0, 0.5, 0.3))
    assert out["separability_threshold"] == pytest.approx(separability_threshold(0.5, 0.3))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_and_csv(capsys, tmp_path):
    table = tmp_path / "m.csv"
    assert (
        main(["mixture", "--loss", "square", "--lam", "0.1", "--alpha", "2", "--delta", "0.5", "--csv", str(table)])
        == 0
    )
    out = capsys.readouterr().out
    assert "alpha* = 6.66282" in out and "test_error" in out
    with open(table) as handle:
        rows = list(csv.DictReader(handle))
    assert float(rows[0]["test_error"]) == pytest.approx(0.156292, abs=5e-7)  # independent reference value


def test_unconverged_point_exits_with_1(capsys, monkeypatch):
    import statlearn.replica.mixture as mixture

    original = mixture.learning_curve
    monkeypatch.setattr(mixture, "learning_curve", lambda *a, **k: original(*a, **k, max_iter=1))
    assert main(["mixture", "--loss", "logistic", "--lam", "1e-3", "--alpha", "2"]) == 1
    assert "did not converge" in capsys.readouterr().err
