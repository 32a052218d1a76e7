"""``statlearn online``: the ODE table, the simulation comparison, files, divergence and bad input."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from statlearn.cli import main
from statlearn.online import Overlaps, integrate


def test_ode_table_matches_integrate(capsys):
    assert (
        main(
            [
                "online",
                "--K",
                "2",
                "--M",
                "2",
                "--eta",
                "0.5",
                "--alpha-max",
                "100",
                "--points",
                "5",
                "--seed",
                "3",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    cols = out["columns"]
    t = np.asarray(cols["alpha"])
    assert t[0] == 0 and t[-1] == pytest.approx(100) and len(t) == 6
    ref = integrate(2, 2, 0.5, t, seed=3)
    assert np.allclose(cols["generalization_error"], ref.generalization_error, rtol=1e-12)
    assert np.allclose(cols["R_01"], ref.R[:, 0, 1], rtol=1e-12)
    assert out["diverged"] == []


def test_simulation_comparison_and_files(capsys, tmp_path):
    csv_path, png = tmp_path / "run.csv", tmp_path / "run.png"
    argv = [
        "online",
        "--K",
        "1",
        "--M",
        "1",
        "--eta",
        "1.0",
        "--alpha-max",
        "5",
        "--points",
        "4",
        "--simulate",
        "200",
        "--seeds",
        "3",
        "--csv",
        str(csv_path),
        "--plot",
        str(png),
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "N = 200, 3 seeds" in text and "discrepancy" in text
    rows = list(csv.DictReader(csv_path.open()))
    assert len(rows) == 5 and {
        "generalization_error",
        "generalization_error_sim",
        "generalization_error_sim_se",
        "discrepancy",
    } <= set(rows[0])
    # at alpha = 0 simulation and ODE start from the same overlaps: no discrepancy
    assert float(rows[0]["discrepancy"]) == pytest.approx(0.0, abs=1e-12)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_blow_up_is_reported_with_exit_status_1(capsys):
    status = main(
        [
            "online",
            "--K",
            "1",
            "--M",
            "1",
            "--eta",
            "3",
            "--activation",
            "linear",
            "--alpha-max",
            "100",
            "--points",
            "10",
        ]
    )
    err = capsys.readouterr().err
    assert status == 1 and "blew up" in err and "ODE at alpha" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--K", "0", "--M", "1", "--eta", "1"], "must be >= 1"),
        (["--K", "1", "--M", "1", "--eta", "-1"], "must be > 0"),
        (["--K", "1", "--M", "1", "--eta", "1", "--activation", "softsign"], "unknown activation"),
        (["--K", "1", "--M", "1", "--eta", "1", "--eta-v", "0.1"], "--eta-v needs --train-second-layer"),
        (["--K", "1", "--M", "1", "--eta", "1", "--plot", "x.pdf"], "must end in .png"),
    ],
)
def test_bad_arguments_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(["online", *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_ode_start_from_explicit_overlaps_is_like_for_like():
    """The comparison's premise: the ODE from a simulation's initial overlaps starts where it does."""
    from statlearn.online import online_sgd

    init = Overlaps.checked([[0.1, 0.0]], [[0.3]], [[1.0, 0.2], [0.2, 1.0]])
    sim = online_sgd(1, 2, 0.5, 300, [0.0, 1.0], seed=1, init=init)
    ode = integrate(1, 2, 0.5, [0.0, 1.0], init=sim.overlaps(0))
    assert ode.generalization_error[0] == pytest.approx(sim.generalization_error[0], rel=1e-9)
