"""``statlearn rbm train``: the saved machine is the library's trained one, the files, and bad input."""

import csv
import json

import numpy as np
import pytest

from statlearn.cli import main
from statlearn.rbm import RBM


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "spins.npy"
    np.save(path, np.where(rng.random((60, 3, 3)) < 0.7, 1.0, -1.0))  # (n, L, L) +-1 configurations
    return path


@pytest.mark.parametrize("method", ["pcd", "tap3"])
def test_train_writes_the_library_result(method, data_file, tmp_path, capsys):
    out = tmp_path / "model"
    argv = ["rbm", "train", "--data", str(data_file), "--hidden", "4", "--out", str(out)]
    argv += ["--method", method, "--k", "2", "--penalty", "l1", "--strength", "0.01", "--epochs", "3"]
    argv += ["--batch-size", "20", "--seed", "5"]
    assert main(argv) == 0
    saved = RBM.load(out)
    expected = RBM(9, 4, spins="pm1", seed=5)
    expected.fit(
        np.load(data_file).reshape(60, 9),
        method=method,
        k=2,
        penalty="l1",
        strength=0.01,
        learning_rate=0.01,
        momentum=0.5,
        batch_size=20,
        epochs=3,
        seed=5,
    )
    assert saved.spins == "pm1" and np.array_equal(saved.W, expected.W)
    with open(out / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3] and "pseudo_likelihood" in rows[0]
    summary = json.loads((out / "history.json").read_text())
    assert summary["converged"] and summary["settings"]["penalty"] == "l1"
    assert not list(out.glob("*.pkl"))
    assert "saved to" in capsys.readouterr().out


def test_zero_one_data_selects_the_01_convention(tmp_path, capsys):
    path = tmp_path / "bits.npy"
    np.save(path, (np.random.default_rng(1).random((30, 5)) < 0.5).astype(float))
    assert (
        main(["rbm", "train", "--data", str(path), "--hidden", "2", "--out", str(tmp_path / "m"), "--epochs", "1"]) == 0
    )
    assert RBM.load(tmp_path / "m").spins == "01"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--method", "sgd"], "--method"),
        (["--penalty", "l3"], "--penalty"),
        (["--strength", "-1"], "--strength"),
        (["--hidden", "0"], "--hidden"),
        (["--spins", "01"], "binary"),
        (["--batch-size", "1000"], "--batch-size"),
    ],
)
def test_bad_input(argv, message, data_file, tmp_path, capsys):
    base = ["rbm", "train", "--data", str(data_file), "--hidden", "3", "--out", str(tmp_path / "m")]
    with pytest.raises(SystemExit) as exit_:
        main([*base, *argv])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_non_binary_data_is_refused(tmp_path, capsys):
    path = tmp_path / "real.npy"
    np.save(path, np.random.default_rng(0).standard_normal((10, 4)))
    with pytest.raises(SystemExit) as exit_:
        main(["rbm", "train", "--data", str(path), "--hidden", "2", "--out", str(tmp_path / "m"), "--batch-size", "5"])
    assert exit_.value.code == 2 and "argument --data: data must be binary" in capsys.readouterr().err
