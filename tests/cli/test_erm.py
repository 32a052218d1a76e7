"""``statlearn erm``: the theory table, the training comparison, files and bad input."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from statlearn.cli import main
from statlearn.models.covariates import BlockCovariates, RandomFeatures
from statlearn.replica.erm import learning_curve


def test_the_issue_example_table_matches_learning_curve(capsys):
    assert (
        main(
            [
                "erm",
                "--model",
                "random-features",
                "--activation",
                "relu",
                "--loss",
                "logistic",
                "--lam",
                "1e-3",
                "--gamma",
                "0.1:10:5",
                "--json",
            ]
        )
        == 0
    )
    cols = json.loads(capsys.readouterr().out)["columns"]
    gamma = np.asarray(cols["gamma"])
    assert np.allclose(gamma, np.geomspace(0.1, 10, 5)) and np.all(np.asarray(cols["alpha"]) == 2.0)
    ref = learning_curve(RandomFeatures("relu"), "sign", "logistic", 1e-3, alpha=2.0, gamma=gamma)
    assert np.allclose(cols["generalization_error"], ref.generalization_error, rtol=1e-9)
    assert all(cols["converged"])


def test_training_comparison_and_files(capsys, tmp_path):
    csv_path, png = tmp_path / "erm.csv", tmp_path / "erm.png"
    assert (
        main(
            [
                "erm",
                "--model",
                "isotropic",
                "--loss",
                "hinge",
                "--lam",
                "0.1",
                "--alpha",
                "0.5,2",
                "--simulate",
                "60",
                "--seeds",
                "3",
                "--n-test",
                "500",
                "--csv",
                str(csv_path),
                "--plot",
                str(png),
            ]
        )
        == 0
    )
    assert "training at d = 60, 3 draws" in capsys.readouterr().out
    rows = list(csv.DictReader(csv_path.open()))
    assert len(rows) == 2 and {
        "generalization_error",
        "generalization_error_sim",
        "generalization_error_sim_se",
    } <= set(rows[0])
    theory = learning_curve(BlockCovariates.isotropic(), "sign", "hinge", 0.1, alpha=[0.5, 2.0]).generalization_error
    for row, value in zip(rows, theory):  # small d, 3 draws: loose but could fail
        assert (
            abs(float(row["generalization_error_sim"]) - value) < 5 * float(row["generalization_error_sim_se"]) + 0.05
        )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_delta_zero_is_the_noiseless_teacher(capsys):
    # --delta 0 used to read as "not given" (and the gaussian teacher then refused a missing delta)
    argv = ["erm", "--model", "isotropic", "--loss", "square", "--lam", "0.01", "--alpha", "0.5,2"]
    assert main([*argv, "--teacher", "gaussian", "--delta", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["delta"] == 0.0
    ref = learning_curve(BlockCovariates.isotropic(), "gaussian", "square", 0.01, alpha=[0.5, 2.0], delta=0.0)
    assert np.allclose(out["columns"]["generalization_error"], ref.generalization_error, rtol=1e-12, atol=0)
    noisy = learning_curve(BlockCovariates.isotropic(), "gaussian", "square", 0.01, alpha=[0.5, 2.0], delta=0.1)
    assert np.all(np.asarray(out["columns"]["generalization_error"]) < noisy.generalization_error)
    assert main([*argv, "--teacher", "gaussian", "--delta", "0"]) == 0
    assert "teacher gaussian (delta = 0)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--loss", "logistic", "--lam", "-1", "--gamma", "1"], "--lam"),
        (["--loss", "logistic", "--lam", "0.1"], "--gamma"),
        (["--model", "isotropic", "--loss", "logistic", "--lam", "0.1", "--gamma", "1", "--alpha", "1"], "--gamma"),
        (["--model", "isotropic", "--loss", "logistic", "--lam", "0.1"], "--alpha"),
        (["--loss", "logistic", "--lam", "0.1", "--gamma", "0:1:5"], "START"),
        (["--loss", "logistic", "--lam", "0.1", "--gamma", "1", "--alpha", "-2"], "> 0"),
        (["--loss", "logistic", "--lam", "0.1", "--gamma", "1:2:3", "--alpha", "1:2:3"], "not both"),
        (["--loss", "cross-entropy", "--lam", "0.1", "--gamma", "1"], "loss"),
        (["--loss", "logistic", "--lam", "0", "--gamma", "1"], "lam"),
        (["--loss", "logistic", "--lam", "0.1", "--gamma", "1", "--teacher", "gaussian", "--delta", "0.1"], "labels"),
        (
            ["--model", "isotropic", "--loss", "square", "--lam", "0.1", "--alpha", "1", "--teacher", "gaussian"],
            "delta",
        ),
        (["--model", "isotropic", "--loss", "square", "--lam", "0.1", "--alpha", "1", "--delta", "0"], "delta"),
        (["--activation", "swish", "--loss", "logistic", "--lam", "0.1", "--gamma", "1"], "activation"),
        (["--loss", "logistic", "--lam", "0.1", "--gamma", "1", "--plot", "x.pdf"], ".png"),
    ],
)
def test_bad_input_exits_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["erm", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
