"""The TAP (Plefka) free energy of an RBM against exact enumeration: the truncation error's power of the weight
scale, the stationarity of the fixed point (finite differences of the free energy, and the 0/1 TAP equations
written out as in Gabrie, Tramel & Krzakala 2015), its ln Z gradient against finite differences, the +-1 and 0/1
conventions against each other, and EMF training raising the exact log-likelihood."""

import warnings

import numpy as np
import pytest
from scipy.special import expit

from statlearn.numerics import ConvergenceWarning, SolverResult
from statlearn.rbm import RBM, tap_free_energy, tap_gradient, tap_magnetisations


def _machine(spins, scale, seed=1, shape=(6, 5)):
    rng = np.random.default_rng(seed)
    W0, b0, c0 = rng.standard_normal(shape), rng.standard_normal(shape[0]), rng.standard_normal(shape[1])
    return RBM.from_params(scale * W0, 0.5 * b0, 0.5 * c0, spins=spins)


@pytest.mark.parametrize("spins", ["pm1", "01"])
def test_truncation_error_falls_as_the_next_power_of_the_weights(spins):
    """|ln Z_n - ln Z| ~ w^(n+1): slopes 2 (mean field), 3 (TAP2), 4 (TAP3) on a log-log fit as w -> 0."""
    scales = np.array([0.04, 0.02, 0.01, 0.005])
    errors = {order: [] for order in (1, 2, 3)}
    for w in scales:
        machine = _machine(spins, w if spins == "pm1" else 4 * w)
        exact = machine.log_partition().log_z
        for order in errors:
            errors[order].append(abs(tap_magnetisations(machine, order, tol=1e-14).log_z - exact))
    for order, error in errors.items():
        slope = np.polyfit(np.log(scales), np.log(error), 1)[0]
        assert slope == pytest.approx(order + 1, abs=0.25), (order, error)
    assert errors[3][-1] < errors[2][-1] < errors[1][-1]


def test_tap_log_partition_is_exact_without_couplings():
    machine = RBM.from_params(np.zeros((4, 3)), [0.3, -1.0, 2.0, 0.0], [0.5, -0.2, 1.0], spins="01")
    for method in ("tap2", "tap3"):
        assert machine.log_partition(method).log_z == pytest.approx(machine.log_partition().log_z, abs=1e-12)


@pytest.mark.parametrize("order", [2, 3])
def test_fixed_point_is_stationary_and_solves_the_01_tap_equations(order):
    machine = _machine("01", 0.8, seed=3)
    result = tap_magnetisations(machine, order, tol=1e-13)
    assert isinstance(result, SolverResult) and result.converged
    m, mu = result.m_visible, result.m_hidden
    # the TAP equations for 0/1 units written out (nu = m(1 - m), mu_j(1 - mu_j)), independently of the module
    W, a, b = machine.W, machine.b_visible, machine.b_hidden
    nu_v, nu_h = m * (1 - m), mu * (1 - mu)
    field_v = a + W @ mu + (0.5 - m) * ((W**2) @ nu_h)
    field_h = b + W.T @ m + (0.5 - mu) * ((W**2).T @ nu_v)
    if order == 3:
        field_v += (1 / 3 - 2 * nu_v) * ((W**3) @ (nu_h * (0.5 - mu)))
        field_h += (1 / 3 - 2 * nu_h) * ((W**3).T @ (nu_v * (0.5 - m)))
    np.testing.assert_allclose(m, expit(field_v), atol=1e-10)
    np.testing.assert_allclose(mu, expit(field_h), atol=1e-10)
    # stationarity of the free energy, by central differences in every magnetisation
    eps = 1e-6
    for layer, n in (("v", machine.n_visible), ("h", machine.n_hidden)):
        for i in range(n):
            step = np.zeros(n)
            step[i] = eps
            if layer == "v":
                up, down = tap_free_energy(machine, m + step, mu, order), tap_free_energy(machine, m - step, mu, order)
            else:
                up, down = tap_free_energy(machine, m, mu + step, order), tap_free_energy(machine, m, mu - step, order)
            assert abs(up[0] - down[0]) / (2 * eps) < 1e-6


@pytest.mark.parametrize("spins", ["pm1", "01"])
@pytest.mark.parametrize("method", ["tap2", "tap3"])
def test_gradient_of_tap_log_partition_against_finite_differences(spins, method):
    machine = _machine(spins, 0.3 if spins == "pm1" else 1.0, seed=5, shape=(4, 3))
    order = int(method[-1])
    result = tap_magnetisations(machine, order, tol=1e-14)
    gradient = tap_gradient(machine, result.m_visible, result.m_hidden, order)
    eps = 1e-5

    def log_z(shift_name, index):
        values = []
        for sign in (1, -1):
            shifted = machine.copy()
            getattr(shifted, shift_name)[index] += sign * eps
            values.append(shifted.log_partition(method, tol=1e-14).log_z)
        return (values[0] - values[1]) / (2 * eps)

    for g, name in zip(gradient, ("W", "b_visible", "b_hidden")):
        for index in np.ndindex(g.shape):
            assert g[index] == pytest.approx(log_z(name, index), abs=1e-7)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_pm1_and_01_conventions_agree(order):
    machine = _machine("01", 1.2, seed=7)
    spin, shift = machine.to_spins("pm1")
    one, other = tap_magnetisations(machine, order, tol=1e-13), tap_magnetisations(spin, order, tol=1e-13)
    assert one.log_z == pytest.approx(other.log_z + shift, abs=1e-10)
    np.testing.assert_allclose(2 * one.m_visible - 1, other.m_visible, atol=1e-9)
    np.testing.assert_allclose(2 * one.m_hidden - 1, other.m_hidden, atol=1e-9)
    g01 = tap_gradient(machine, one.m_visible, one.m_hidden, order)
    gpm = tap_gradient(spin, other.m_visible, other.m_hidden, order)
    np.testing.assert_allclose(g01[1], (gpm[1] + 1) / 2, atol=1e-9)  # <v> = (<s> + 1) / 2


def test_log_partition_result_and_non_convergence_warns():
    machine = _machine("pm1", 0.3)
    result = machine.log_partition("tap3", n_starts=3, seed=2)
    assert isinstance(result, SolverResult) and result.converged and result.method == "tap3"
    assert result.n_chains == 3 and result.stderr == 0.0
    with pytest.warns(ConvergenceWarning, match="TAP2"):
        late = machine.log_partition("tap2", max_iter=2)
    assert not late.converged


def _toy_data(spins, n=200, seed=0):
    """Two prototypes of 8 pixels with 10% flipped pixels."""
    rng = np.random.default_rng(seed)
    prototypes = np.array([[1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 1, 0, 1]], float)
    x = prototypes[rng.integers(2, size=n)]
    x = np.where(rng.random(x.shape) < 0.1, 1 - x, x)
    return x if spins == "01" else 2 * x - 1


@pytest.mark.parametrize("spins", ["pm1", "01"])
@pytest.mark.parametrize("method", ["tap2", "tap3"])
def test_emf_training_raises_the_exact_log_likelihood(spins, method):
    data = _toy_data(spins)
    machine = RBM(8, 4, spins=spins, seed=0)
    before = machine.log_likelihood(data)
    history = machine.fit(
        data, method=method, k=3, learning_rate=0.05, batch_size=20, epochs=30, seed=0, monitor=("log_likelihood",)
    )
    assert history.converged and history.method == method
    # near-uniform start: about 8 ln 2 = 5.5 nats per sample; two noisy prototypes have an entropy near 3.3 (ln 2 + 8 h(0.1))
    assert history.log_likelihood[-1] > before + 1.0


def test_emf_training_is_reproducible_per_seed():
    data = _toy_data("01")
    first, second = RBM(8, 4, spins="01", seed=0), RBM(8, 4, spins="01", seed=0)
    for machine in (first, second):
        machine.fit(data, method="tap2", k=3, epochs=3, seed=4, batch_size=10, monitor=())
    assert np.array_equal(first.W, second.W) and np.array_equal(first.b_hidden, second.b_hidden)


def test_unknown_methods_are_refused():
    machine = _machine("pm1", 0.5)
    with pytest.raises(ValueError, match="method"):
        machine.log_partition("tap4")
    with pytest.raises(ValueError, match="method"):
        machine.fit(_toy_data("pm1")[:, :6], method="tap1")
    with pytest.raises(ValueError, match="order"):
        tap_magnetisations(machine, 4)
    with pytest.raises(TypeError, match="method"):
        machine.log_partition(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="start"):
            tap_magnetisations(machine, 2, start=np.full((2, 6), 1.5))
