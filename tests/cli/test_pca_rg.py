"""``statlearn pca-rg``: the printed flow is pca_flow's, the control is Gaussian, files and bad input."""

import csv
import json

import numpy as np
import pytest

from statlearn.cli import main
from statlearn.rg import pca_flow


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "fields.npy"
    np.save(path, np.random.default_rng(0).laplace(size=(200, 4, 4)))
    return path


def test_json_matches_the_library(data_file, capsys, tmp_path):
    table = tmp_path / "flow.csv"
    argv = ["pca-rg", "--data", str(data_file), "--fractions", "0.25,1", "--blocks", "4", "--control"]
    assert main([*argv, "--json", "--csv", str(table)]) == 0
    out = json.loads(capsys.readouterr().out)
    flow = pca_flow(np.load(data_file), [0.25, 1.0], n_blocks=4)
    assert out["K"] == [4, 16] and out["n_units"] == 16
    assert out["median"] == pytest.approx(flow.median.tolist()) and out["stderr"] == pytest.approx(flow.stderr.tolist())
    # i.i.d. Laplace units at K = N: kurtosis 6 per unit; the Gaussian control: 3
    assert abs(out["median"][1] - 6.0) < 1.5 and abs(out["control"][1] - 3.0) < 5 * out["control_stderr"][1]
    with open(table) as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["median"]) for r in rows] == pytest.approx(out["median"])


def test_table(data_file, capsys):
    assert main(["pca-rg", "--data", str(data_file), "--fractions", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "median" in out and "mode_median" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--fractions", "0"], "--fractions"),
        (["--fractions", "1.5"], "--fractions"),
        (["--fractions", "0.5", "--blocks", "1"], "--blocks"),
        (["--fractions", "0.5", "--data", "/nonexistent.npy"], "--data"),
    ],
)
def test_bad_input(data_file, argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["pca-rg", "--data", str(data_file), *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_data_of_the_wrong_shape_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "flat.npy"
    np.save(path, np.zeros(50))
    with pytest.raises(SystemExit) as exit_:
        main(["pca-rg", "--data", str(path), "--fractions", "0.5"])
    assert exit_.value.code == 2 and "data must be" in capsys.readouterr().err
