"""``statlearn ising``: the saved spins and sidecar, the printed numbers against the exact ones, bad input."""

import json

import numpy as np
import pytest

from statlearn.cli import main
from wirg.datasets import load_dataset
from wirg.fields import ising
from wirg.ising_exact import kaufman_energy, yang_magnetization


def test_json_and_files_match_the_library(capsys, tmp_path):
    out = tmp_path / "spins.npy"
    assert main(["ising", "--L", "8", "--T", "2.0", "--n", "40", "--seed", "3", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    samples = ising(8, 0.5, 40, seed=3)
    data = load_dataset(out)
    np.testing.assert_array_equal(data.fields, samples.fields)
    assert data.metadata["parameters"]["kind"] == "ising" and data.metadata["parameters"]["beta"] == 0.5
    assert result["energy_per_site"] == pytest.approx(samples.energies.mean() / 64)
    assert result["energy_kaufman"] == pytest.approx(kaufman_energy(8, 0.5))
    assert result["m_yang"] == pytest.approx(float(yang_magnetization(0.5)))
    assert result["thin"] == samples.thin and result["T"] == 2.0


def test_table(capsys, tmp_path):
    argv = ["ising", "--L", "6", "--beta", "0.3", "--n", "30", "--seed", "0", "--out", str(tmp_path / "s.npy")]
    assert main([*argv, "--metropolis", "--thin", "2", "--thermalization", "100"]) == 0
    out = capsys.readouterr().out
    assert "Kaufman" in out and "Yang" in out and "thin = 2" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--L", "1", "--beta", "0.4"], "--L"),
        (["--L", "4.5", "--beta", "0.4"], "--L"),
        (["--L", "8", "--beta", "0"], "--beta"),
        (["--L", "8", "--beta", "nan"], "--beta"),
        (["--L", "8", "--T", "-1"], "--T"),
        (["--L", "8", "--T", "0"], "--T"),
        (["--L", "8", "--beta", "0.4", "--T", "2"], "not allowed"),
        (["--L", "8"], "--beta"),
        (["--L", "8", "--beta", "0.4", "--n", "0"], "--n"),
    ],
)
def test_bad_input(argv, message, capsys, tmp_path):
    full = ["ising", "--seed", "0", "--out", str(tmp_path / "x.npy"), *argv]
    if "--n" not in argv:
        full += ["--n", "5"]
    with pytest.raises(SystemExit) as exit_:
        main(full)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
