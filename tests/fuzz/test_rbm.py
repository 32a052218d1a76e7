"""Bad-input audit of statlearn.rbm and statlearn.rg.decimation_rbm, and of ``statlearn rbm train``.

Each entry point has a valid baseline call; hypothesis replaces one argument at a time by a bad value (NaN,
infinities, negative, zero, huge and tiny numbers, wrong types, wrong shapes); the ``audit`` fixture
(tests/fuzz/conftest.py) accepts only a returned value or a one-line ``ValueError``/``TypeError`` naming the
argument. Then the named failure modes: non-binary data, mismatched shapes, unknown method/penalty/spins,
negative strength, NaN, and a CLI given bad values.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statlearn.rbm import DBN, RBM, ais_log_partition, beta_schedule, train
from statlearn.rg import decimation_rbm

_rng = np.random.default_rng(0)
_M = RBM.from_params(_rng.standard_normal((5, 3)), np.zeros(5), np.zeros(3), spins="pm1")
_DATA = np.where(_rng.random((12, 5)) < 0.5, 1.0, -1.0)
_HIDDEN = np.where(_rng.random((4, 3)) < 0.5, 1.0, -1.0)
_DBN = DBN([_M, RBM(3, 2, seed=1)])

FAST = dict(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ENTRY_POINTS = {
    "RBM": (RBM, {"n_visible": 5, "n_hidden": 3, "spins": "pm1", "scale": 0.01, "seed": 0}),
    "RBM.from_params": (RBM.from_params, {"W": _M.W, "b_visible": np.zeros(5), "b_hidden": np.zeros(3), "spins": "01"}),
    "RBM.free_energy": (_M.free_energy, {"v": _DATA}),
    "RBM.hidden_free_energy": (_M.hidden_free_energy, {"h": _HIDDEN}),
    "RBM.energy": (_M.energy, {"v": _DATA[:4], "h": _HIDDEN}),
    "RBM.log_partition": (_M.log_partition, {"method": "exact"}),
    "RBM.log_likelihood": (_M.log_likelihood, {"data": _DATA, "log_z": 3.0}),
    "RBM.pseudo_likelihood": (_M.pseudo_likelihood, {"data": _DATA, "n_sites": 2, "seed": 0}),
    "RBM.reconstruction_error": (_M.reconstruction_error, {"data": _DATA}),
    "RBM.sample": (_M.sample, {"n": 3, "steps": 2, "seed": 0}),
    "RBM.to_spins": (_M.to_spins, {"spins": "01"}),
    "ais_log_partition": (ais_log_partition, {"rbm": _M, "n_chains": 4, "n_betas": 20, "seed": 0, "base_data": _DATA}),
    "beta_schedule": (beta_schedule, {"n_betas": 10}),
    "train": (
        train,
        {
            "rbm": _M.copy(),
            "data": _DATA,
            "method": "cd",
            "k": 1,
            "penalty": "l2",
            "strength": 0.1,
            "learning_rate": 0.01,
            "momentum": 0.5,
            "batch_size": 4,
            "epochs": 1,
            "seed": 0,
            "monitor": ("reconstruction_error",),
        },
    ),
    "DBN": (DBN, {"layers": [_M, RBM(3, 2)]}),
    "DBN.train": (DBN.train, {"data": _DATA, "n_hidden": [3, 2], "spins": "pm1", "seed": 0, "scale": 0.01}),
    "DBN.receptive_fields": (_DBN.receptive_fields, {"layer": 2}),
    "DBN.up": (_DBN.up, {"data": _DATA, "seed": 0}),
    "DBN.down": (_DBN.down, {"top": np.ones((2, 2)), "seed": 0}),
    "DBN.sample": (_DBN.sample, {"n": 2, "steps": 2, "seed": 0}),
    "decimation_rbm": (decimation_rbm, {"K": 0.5, "n_spins": 8}),
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@settings(**FAST)
@given(data=st.data())
def test_one_bad_argument_at_a_time(entry, data, one_bad_argument):
    func, kwargs = ENTRY_POINTS[entry]
    one_bad_argument(entry, func, kwargs, data)


@pytest.mark.parametrize(
    "call, named",
    [
        (lambda: _M.free_energy(np.full((2, 5), 0.5)), "binary"),
        (lambda: _M.free_energy(np.zeros((2, 5))), "binary"),  # 0/1 data to a +-1 machine
        (lambda: _M.fit(np.full((4, 5), np.nan)), "finite"),
        (lambda: _M.free_energy(np.ones((2, 4))), "shape"),
        (lambda: _M.energy(np.ones((2, 5)), np.ones((3, 3))), "rows"),
        (lambda: RBM.from_params(np.ones((5, 3)), np.zeros(3), np.zeros(3)), "b_visible"),
        (lambda: _M.log_partition("mcmc"), "method"),
        (lambda: _M.copy().fit(_DATA, method="sgd"), "method"),
        (lambda: _M.copy().fit(_DATA, penalty="l3"), "penalty"),
        (lambda: _M.copy().fit(_DATA, penalty="l1", strength=-0.1), "strength"),
        (lambda: _M.copy().fit(_DATA, monitor=("accuracy",)), "monitor"),
        (lambda: _M.copy().fit(_DATA, batch_size=13), "batch_size"),
        (lambda: _M.copy().fit(_DATA, momentum=1.0), "momentum"),
        (lambda: RBM(4, 3, spins="ising"), "spins"),
        (lambda: RBM(30, 30).log_partition(), "ais"),
        (lambda: _M.log_partition("exact", n_chains=3), "options"),
        (lambda: decimation_rbm(0.3, n_spins=7), "n_spins"),
        (lambda: DBN.train(_DATA, [3, 0]), "n_hidden"),
        (lambda: DBN([_M, _M]), "layers"),
        (lambda: _DBN.receptive_fields(0), "layer"),
    ],
)
def test_named_failure_modes(call, named, audit):
    error = audit.call("rbm failure modes", call)
    assert isinstance(error, (ValueError, TypeError)) and named in str(error), error


@pytest.mark.parametrize(
    "option, values",
    [
        ("--hidden", ["0", "-2", "x", "1e9", "nan"]),
        ("--method", ["sgd", ""]),
        ("--k", ["0", "2.5", "-1"]),
        ("--penalty", ["l3", "L1"]),
        ("--strength", ["-1", "nan", "inf"]),
        ("--learning-rate", ["0", "-0.1", "nan"]),
        ("--momentum", ["1", "-0.5"]),
        ("--batch-size", ["0", "x"]),
        ("--epochs", ["0", "1e9"]),
        ("--spins", ["ising"]),
        ("--seed", ["-1", "x", str(2**64)]),
        ("--data", ["/nonexistent.npy"]),
    ],
)
def test_cli_bad_values_are_one_line_usage_errors(option, values, tmp_path, capsys, audit):
    from statlearn.cli import main

    data = tmp_path / "d.npy"
    np.save(data, _DATA)
    base = {"--data": str(data), "--hidden": "2", "--out": str(tmp_path / "m")}
    for value in values:
        argv = ["rbm", "train"]
        for key, default in {**base, option: value}.items():
            argv += [key, default]
        if option not in base:
            argv += [option, value]
        audit.entry_points.add("statlearn rbm train")
        audit.inputs += 1
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1 and option in err, (argv, err)
