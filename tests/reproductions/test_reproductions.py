"""Every registered reproduction runs end to end on tiny settings and writes what it promises."""

import csv
import importlib
import json

import numpy as np
import pytest

from statlearn.reproductions import get, names
from statlearn.reproductions.runner import run_reproductions

TINY = {
    "capacity": {"sizes": [10, 14], "kappa": [0.0, 0.5], "n_samples": 120, "points": 7, "window": 2.0, "seed": 3},
    "binary-capacity": {
        "sizes": [8, 10],
        "n_samples": 120,
        "window": 2.0,
        "entropy_samples": 20,
        "entropy_alpha": [0.3, 0.5],
        "seed": 3,
    },
    "bayes-perceptron": {"sizes": [100, 200], "alpha": [0.5, 2.0], "seeds": 2, "max_iter": 100},
    "amp-state-evolution": {"sizes": [200, 400], "seeds": 2, "iterations": 5, "checked": [1, 2]},
    "computational-gap": {
        "sizes": [100, 200],
        "alpha": [1.2, 1.4, 1.5, 1.6, 1.8, 2.0, 2.4],
        "seeds": 10,
        "max_iter": 200,
    },
    "online-perceptron": {"sizes": [50, 100], "seeds": 3, "alpha_max": 4.0, "checked": [1.0, 3.0]},
    "committee-machine": {
        "sizes": [100, 150],
        "seeds": 2,
        "amp": [["gaussian", 1.2, 0.0, "non-specialised", "both"]],
        "theory": {"gaussian": [0.6, 1.2], "rademacher": [1.0]},
        "specialised": {"gaussian": [], "rademacher": []},
        "thresholds": False,
        "max_iter": 100,
        "tol": 1e-5,
    },
    "committee-plateau": {
        "committees": [{"K": 2, "alpha_max": 20.0, "checked": [5.0, 15.0]}],
        "sizes": [50, 100],
        "seeds": [3, 2],
    },
    "overparametrisation": {"students": [2, 3], "sizes": [50], "seeds": [3], "alpha_max": 10.0, "checked": [5.0]},
    "double-descent-regression": {
        "sizes": [40, 60],
        "seeds": 3,
        "theory_points": 5,
        "points": [0.5, 1.0, 2.0],
        "n_test": 500,
    },
    "double-descent-classification": {
        "sizes": [40, 60],
        "seeds": 3,
        "theory_points": 5,
        "points": [0.5, 2.0],
        "n_test": 500,
    },
    "structured-data": {"sizes": [40, 60], "seeds": 3, "theory_points": 5, "points": [0.5, 2.0], "n_test": 500},
    "loss-comparison": {"sizes": [40, 60], "seeds": 3, "theory_points": 5, "points": [0.5, 2.0], "n_test": 500},
    "wirg-gaussian": {
        "coupling_sizes": [16],
        "n_train": 20,
        "radius": 1,
        "coarse_side": 4,
        "n_generated": 20,
        "wirg_sizes": [8],
        "direct_sizes": [8],
        "iteration_fields": 4,
        "iteration_seeds": 2,
        "tol": 0.3,
        "max_steps": 30,
        "timing_sizes": [16, 32],
        "timing_batch": 2,
        "condition_sizes": [8, 16],
        "seed": 0,
    },
    "wirg-phi4": {
        "betas": [0.68],
        "L": 16,
        "n_train": 40,
        "n_refits": 2,
        "fe_fields": 4,
        "fe_chains": 2,
        "fe_samples": 20,
        "burn_in": 20,
        "ml_steps": 0,
        "polish": 1,
        "polish_steps": 40,
        "larger_sizes": [32],
        "mixing_sizes": [8, 16],
        "mixing_train": 20,
        "mixing_steps": 60,
        "mc_steps": 200,
        "timing_batch": 2,
        "seed": 0,
    },
    "wirg-lognormal": {
        "L": 32,
        "n_train": 24,
        "exponent": 2.0,
        "shift": 16.0,
        "strong_shift": 2.0,
        "wavelet": "haar",
        "levels": 2,
        "bumps": 6,
        "detail_scale": True,
        "block_cubic": True,
        "burn_in": 20,
        "thresholds": [0.0, 1.0, 2.0],
        "seed": 0,
    },
    "ising-exact": {
        "energy_L": 8,
        "energy_T": [2.0, 3.0],
        "magnet_L": 8,
        "magnet_T": [1.5],
        "binder_sizes": [4, 8],
        "binder_deltas": [-0.05, 0.0, 0.05],
        "crossing_window": 0.05,
        "n_samples": 200,
        "thermalization": 100,
        "seed": 0,
    },
    "rbm-tap": {
        "n_hidden": 6,
        "ising_hidden": 4,
        "ising_samples": 200,
        "epochs": 3,
        "seeds": 2,
        "learning_rate": 0.05,
        "ising_learning_rate": 0.01,
        "batch_size": 50,
        "scales": [0.01, 0.02, 0.3],
        "machines": 2,
    },
    "rbm-tap-ais": {
        "n_hidden": 6,
        "ising_L": 4,
        "ising_samples": 100,
        "test": 50,
        "epochs": 2,
        "checked": [0, 2],
        "seeds": 2,
        "learning_rate": 0.05,
        "batch_size": 50,
        "n_chains": 20,
        "n_betas": 200,
        "tap_starts": 4,
    },
    "rbm-likelihood": {
        "n_hidden": 6,
        "epochs": 2,
        "checked": [2],
        "learning_rate": 0.05,
        "batch_size": 50,
        "n_chains": 20,
        "n_betas": 200,
        "ais_repeats": 1,
        "seed": 0,
    },
    "compressed-sensing": {
        "sizes": [60, 100],
        "delta": [0.5],
        "offsets": [0.0],
        "seeds": 2,
        "max_iter": 100,
        "margin": 0.1,
        "convergence": {"N": 100, "rho": 0.2, "noise": 0.1, "tol": 1e-8},
    },
    "pca-rg": {
        "L": 8,
        "n_samples": 80,
        "n_blocks": 4,
        "fractions": [0.25, 1.0],
        "mass": 0.3,
        "beta_c": 0.68,
        "beta_off": [0.5, 0.9],
        "fourier_L": 4,
        "fourier_samples": 200,
        "control_replicas": 3,
        "seed": 0,
    },
    "mehta-schwab": {
        "L": 8,
        "betas": [0.408, 0.4406868],
        "n_samples": 200,
        "hidden": [16, 4],
        "seeds": 2,
        "epochs": 2,
        "batch_size": 50,
        "learning_rate": 0.05,
        "strength": 0.01,
        "n_generated": 100,
        "n_display": 2,
        "seed": 0,
    },
    "sk-amp": {"sizes": [100, 200], "seeds": 3, "iterations": 6, "checked": [2]},
    "sk-monte-carlo": {
        "sizes": [16, 24],
        "instances": 3,
        "sweeps": 40,
        "thermalization": 20,
        "bins": 12,
        "energy_temperatures": [0.5],
        "parisi_intervals": 4,
    },
    "sk-phase-diagram": {
        "temperatures": [0.5, 1.2],
        "fields": 4,
        "x_of_q": [[0.5, 1]],
        "ground_steps": [1, 2],
        "full_rsb": False,
        "parisi": [0.5],
        "parisi_intervals": 4,
    },
    "dmft-sgd": {
        "horizon": 2.0,
        "sizes": [60, 120],
        "seeds": 3,
        "dmft_samples": 1000,
        "replicas": 2,
        "check_times": [1.0, 2.0],
        "long": [[2.0, 0.1]],
        "long_horizon": 4.0,
        "batch_fractions": [0.3, 1.0],
        "one_pass_alphas": [10.0, 20.0],
        "one_pass_d": 60,
        "one_pass_samples": 2000,
    },
    "gaussian-mixture": {
        "sizes": [60, 120],
        "seeds": 3,
        "theory_points": 9,
        "points": [1.0],
        "peak_points": [7.0],
        "optimal_points": [2.0],
    },
}


def test_every_reproduction_has_tiny_settings_here():
    assert set(names()) == set(TINY)


@pytest.mark.parametrize("name", sorted(TINY))
def test_reproduction_runs_on_tiny_settings(name, tmp_path):
    repro = get(name)
    assert set(TINY[name]) == set(repro.quick) == set(repro.full)
    result = repro.run(TINY[name], tmp_path, "serial")
    for figure in result.figures:
        assert (tmp_path / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for table in result.data:
        with open(tmp_path / table) as handle:
            rows = list(csv.DictReader(handle))
        assert rows
    assert result.checks
    for check in result.checks:
        assert np.isfinite([check.theory, check.simulation, check.stderr, check.tolerance]).all()


def test_rerun_resumes_from_the_checkpoint(tmp_path):
    """A second run finds every sweep point in the checkpoint and reproduces the same counts."""
    repro = get("capacity")
    repro.run(TINY["capacity"], tmp_path, "serial")
    first = (tmp_path / "counts.csv").read_text()
    lines = (tmp_path / "sweep.jsonl").read_text().splitlines()
    repro.run(TINY["capacity"], tmp_path, "serial")
    assert (tmp_path / "counts.csv").read_text() == first
    assert (tmp_path / "sweep.jsonl").read_text().splitlines() == lines


def test_wirg_phi4_rerun_resumes_every_study_and_size(tmp_path):
    """The studies and sizes of wirg-phi4 are checkpointed: a rerun recomputes nothing (the timings, which would
    differ, come back from the checkpoint too) and rebuilds the same checks, table and figure data."""
    repro = get("wirg-phi4")
    first = repro.run(TINY["wirg-phi4"], tmp_path, "serial")
    table = (tmp_path / "wirg_phi4.csv").read_text()
    saved = {name: (tmp_path / name).read_text() for name in ("studies.jsonl", "sizes.jsonl")}
    assert len(saved["studies.jsonl"].splitlines()) == 1 + 2  # header, beta_c at L = 16 and at L = 32
    second = repro.run(TINY["wirg-phi4"], tmp_path, "serial")
    assert (tmp_path / "wirg_phi4.csv").read_text() == table
    assert {name: (tmp_path / name).read_text() for name in saved} == saved
    assert second.checks == first.checks and second.summary == first.summary


def test_runner_writes_checks_json_for_a_real_reproduction(tmp_path, monkeypatch):
    repro = get("binary-capacity")
    for key, value in TINY["binary-capacity"].items():
        monkeypatch.setitem(repro.quick, key, value)
    (outcome,) = run_reproductions(["binary-capacity"], out=tmp_path)
    assert not outcome.crashed
    saved = json.loads((tmp_path / "binary-capacity" / "checks.json").read_text())
    assert saved["name"] == "binary-capacity" and len(saved["checks"]) == len(outcome.checks)
    assert "binary-capacity.png" in (tmp_path / "report.md").read_text()


def test_sweeps_on_a_dask_cluster_give_the_same_counts(tmp_path, monkeypatch):
    """--scheduler: the sweep points run on a dask cluster (loopback) and give identical data."""
    distributed = pytest.importorskip("distributed")
    repro = get("capacity")
    for key, value in TINY["capacity"].items():
        monkeypatch.setitem(repro.quick, key, value)
    (serial,) = run_reproductions(["capacity"], out=tmp_path / "serial")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        (remote,) = run_reproductions(["capacity"], out=tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert not serial.crashed and not remote.crashed
    assert (tmp_path / "dask/capacity/counts.csv").read_text() == (tmp_path / "serial/capacity/counts.csv").read_text()


def test_capacity_panel_b_plots_each_margin_with_its_own_crossings(tmp_path, monkeypatch):
    """Each margin's alpha_1/2(N) points go with that margin's fit and theory (a lint fix once passed
    the last margin's points to every margin, which put them far from 1 in the figure)."""
    from statlearn.experiments import extrapolate_to_infinite_N

    module = importlib.import_module(get("capacity").run.__module__)
    drawn = []
    original = module.plot_extrapolation

    def recording(ax, sizes, values, errors, fit, theory, color, label):
        drawn.append((np.asarray(sizes, float), np.asarray(values), np.asarray(errors), fit, theory))
        return original(ax, sizes, values, errors, fit, theory, color, label)

    monkeypatch.setattr(module, "plot_extrapolation", recording)
    get("capacity").run(TINY["capacity"], tmp_path, "serial")
    assert len(drawn) == len(TINY["capacity"]["kappa"])
    for sizes, values, errors, fit, _theory in drawn:
        refit = extrapolate_to_infinite_N(sizes, values, errors, degree=1)
        assert refit.value == pytest.approx(fit.value, rel=1e-12)
    assert len({tuple(values) for _, values, *_ in drawn}) == len(drawn)
