"""Tests of wirg.datasets: fields saved with JSON sidecars and the regenerating cache."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wirg import datasets as D
from wirg import lattice_phi4 as P
from wirg.datasets import dataset, load_dataset, save_dataset
from wirg.fields import free_field_spectrum, gaussian_field, lognormal_field
from wirg.lattice_phi4 import phi4

# ------------------------------------------------------------------------------------- datasets


def test_save_and_load_phi4_dataset(tmp_path) -> None:
    samples = phi4(4, 0.6, 10, seed=3, thin=2)
    path = save_dataset(tmp_path / "run", samples, note="test")
    assert path.name == "run.npy" and path.with_suffix(".json").exists()
    loaded = load_dataset(tmp_path / "run")
    assert np.array_equal(loaded.fields, samples.fields)
    meta = loaded.metadata
    assert meta["shape"] == [10, 4, 4] and meta["statlearn_version"]
    params = meta["parameters"]
    assert params["beta"] == 0.6 and params["seed"] == 3 and params["thin"] == 2 and params["note"] == "test"
    assert params["tau_m"]["tau"] == samples.tau_m.tau
    with pytest.raises(ValueError, match="contradicts"):
        save_dataset(tmp_path / "bad", samples, beta=0.7)
    with pytest.raises(TypeError, match="JSON"):
        save_dataset(tmp_path / "bad", samples.fields, spectrum=np.ones(3))
    save_dataset(tmp_path / "corrupt", np.zeros((2, 3, 3)), kind="test")
    np.save(tmp_path / "corrupt.npy", np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="sidecar"):
        load_dataset(tmp_path / "corrupt.npy")


def test_dataset_regenerates_only_when_missing(tmp_path, monkeypatch) -> None:
    first = dataset("free_field", L=8, n_samples=5, seed=2, mass=0.5, cache_dir=tmp_path)
    assert np.array_equal(first.fields, gaussian_field(free_field_spectrum(8, mass=0.5), 8, 5, seed=2))
    assert first.metadata["parameters"]["mass"] == 0.5
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("regenerated a cached dataset")

    monkeypatch.setattr(D, "gaussian_field", fail)
    again = dataset("free_field", L=8, n_samples=5, seed=2, mass=0.5, cache_dir=tmp_path)
    assert np.array_equal(again.fields, first.fields)
    monkeypatch.undo()
    (tmp_path / files[1]).unlink()  # the .npy
    regenerated = dataset("free_field", L=8, n_samples=5, seed=2, mass=0.5, cache_dir=tmp_path)
    assert np.array_equal(regenerated.fields, first.fields)

    phi = dataset("phi4", L=4, n_samples=6, seed=1, beta=0.6, thin=2, cache_dir=tmp_path)
    assert phi.fields.shape == (6, 4, 4)
    assert np.array_equal(phi.fields, phi4(4, 0.6, 6, seed=1, thin=2).fields)
    sidecar = next(tmp_path.glob("phi4_*.json"))
    request = json.loads(sidecar.read_text())["parameters"]["request"]
    assert request["beta"] == 0.6 and request["thin"] == 2 and "thin_per_tau" not in request
    assert request["default_thermalization"] == P.DEFAULT_THERMALIZATION


def test_markov_chain_datasets_follow_the_sampler_defaults(tmp_path, monkeypatch) -> None:
    """A cached Markov-chain dataset is not reused once the default thinning it relied on has changed."""
    first = dataset("ising", L=4, n_samples=3, seed=1, beta=0.3, cache_dir=tmp_path)
    assert first.metadata["parameters"]["request"]["thin_per_tau"] == P.THIN_PER_TAU
    monkeypatch.setattr(D, "THIN_PER_TAU", P.THIN_PER_TAU + 1)
    dataset("ising", L=4, n_samples=3, seed=1, beta=0.3, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("ising_*.npy"))) == 2  # a new request, a new file
    with pytest.raises(ValueError, match="kind"):
        dataset("potts", L=4, n_samples=2, seed=0, cache_dir=tmp_path)


def test_dataset_lognormal_kind(tmp_path) -> None:
    data = dataset("lognormal", L=8, n_samples=4, seed=3, exponent=2.0, shift=1.5, cache_dir=tmp_path)
    assert np.array_equal(data.fields, lognormal_field(8, 4, exponent=2.0, shift=1.5, seed=3))
    assert data.metadata["parameters"]["kind"] == "lognormal" and data.metadata["parameters"]["shift"] == 1.5
    with pytest.raises(TypeError, match="exponent"):
        dataset("lognormal", L=8, n_samples=4, seed=3, cache_dir=tmp_path / "other")
