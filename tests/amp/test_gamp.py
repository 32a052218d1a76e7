"""GAMP: exact ridge fixed point, MMSE of linear regression, recovery of a binary perceptron,
fused vector-mode kernels, reproducibility, non-convergence, validation."""

import dataclasses
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

from statlearn.amp import GAMPResult, gamp
from statlearn.amp.gamp import _backward, _forward
from statlearn.models.channels import GaussianChannel
from statlearn.models.data import teacher_student
from statlearn.models.priors import RademacherPrior
from statlearn.numerics import ConvergenceWarning

MODES = ["scalar", "vector"]


# --------------------------------------------------------------------------- (a) exact fixed point


@pytest.mark.parametrize("variance", MODES)
@pytest.mark.parametrize("N, alpha", [(40, 2.0), (150, 0.5), (100, 1.0)])
def test_gaussian_fixed_point_is_the_ridge_posterior_mean(variance, N, alpha):
    """At a fixed point g = (y - F a)/Delta and a = rho F^T g whatever V and A are (module
    docstring), so the means equal (F^T F/Delta + I/rho)^{-1} F^T y/Delta at any N, in both modes."""
    rho, delta = 1.5, 0.2
    data = teacher_student("gaussian", "gaussian", N, alpha, seed=N, rho=rho, delta=delta)
    F, y = data.F, data.y
    ridge = np.linalg.solve(F.T @ F / delta + np.eye(N) / rho, F.T @ y / delta)
    result = gamp(F, y, "gaussian", "gaussian", rho=rho, delta=delta, variance=variance, tol=1e-12, max_iter=2000)
    assert result.converged
    assert np.max(np.abs(result.a - ridge)) < 1e-9 * max(1.0, np.max(np.abs(ridge)))


# --------------------------------------------------------------------------- (b) MMSE of linear regression


def test_gaussian_mse_matches_replica_mmse():
    """Replica / state-evolution MMSE rho - m with m = rho^2 mhat/(1 + rho mhat),
    mhat = alpha/(Delta + rho - m) (Barbier et al., PNAS 116, 5451 (2019); docs/theory/glm.md; Gaussian prior and channel),
    against the final MSE at N = 2000 over 8 seeds (mean within 3 standard errors); the
    Nishimori identities hold for the same runs: overlap = self-overlap, mean posterior
    variance = MSE."""
    rho, delta, alpha, N, seeds = 1.0, 0.25, 1.0, 2000, 8
    m = brentq(lambda m: m - rho**2 * (alpha / (delta + rho - m)) / (1.0 + rho * alpha / (delta + rho - m)), 0.0, rho)
    mmse = rho - m
    mse, overlap, self_overlap, predicted = [], [], [], []
    for seed in range(seeds):
        data = teacher_student("gaussian", "gaussian", N, alpha, seed=seed, rho=rho, delta=delta)
        result = gamp(data.F, data.y, "gaussian", "gaussian", rho=rho, delta=delta, teacher=data.teacher)
        assert result.converged
        mse.append(result.mse[-1])
        overlap.append(result.m[-1])
        self_overlap.append(result.q[-1])
        predicted.append(np.mean(result.v))
    se = np.std(mse, ddof=1) / np.sqrt(seeds)
    assert abs(np.mean(mse) - mmse) < 3.0 * se
    gap = np.array(overlap) - np.array(self_overlap)
    assert abs(np.mean(gap)) < 3.0 * np.std(gap, ddof=1) / np.sqrt(seeds)
    assert abs(np.mean(predicted) / mmse - 1.0) < 3e-3


# --------------------------------------------------------------------------- (c) binary perceptron


def _final_overlaps(alpha, N, seeds, **kwargs):
    out = []
    for seed in seeds:
        data = teacher_student("rademacher", "sign", N, alpha, seed=seed)
        result = gamp(data.F, data.y, "rademacher", "sign", teacher=data.teacher, **kwargs)
        assert result.converged
        out.append(result.m[-1])
    return np.array(out)


def test_binary_perceptron_recovered_above_algorithmic_threshold():
    """alpha = 2 > alpha_alg ~ 1.49 (Barbier et al. 2019): exact recovery, overlap 1, for most seeds."""
    overlaps = _final_overlaps(2.0, 1000, range(5))
    assert np.sum(overlaps > 0.999) >= 4


def test_exact_recovery_is_a_fixed_point():
    """Seeds on which, without the resolution floor, GAMP reached the teacher and then forgot it
    (V underflowed, A -> 0) in a cycle of period 5: now it stays there and converges."""
    overlaps = _final_overlaps(3.0, 1000, (3, 4))
    assert np.all(overlaps > 1.0 - 1e-12)


def test_binary_perceptron_not_recovered_below_threshold():
    overlaps = _final_overlaps(1.0, 1000, range(3))
    assert np.all(overlaps < 0.8) and np.all(overlaps > 0.3)


def test_trajectory_follows_state_evolution():
    """The overlap of GAMP at iteration t is the state evolution m_t of the replica formula
    (statlearn.replica.glm, an independent implementation of the same equations): N = 2000,
    alpha = 1, binary perceptron, 4 seeds, the first 6 iterations within 4 standard errors + 2e-3."""
    from statlearn.replica.glm import state_evolution

    theory = np.asarray(state_evolution("rademacher", "sign", 1.0, n_iter=6))[1:]
    runs = []
    for seed in range(4):
        data = teacher_student("rademacher", "sign", 2000, 1.0, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = gamp(data.F, data.y, "rademacher", "sign", teacher=data.teacher, max_iter=6)
        runs.append(result.m)
    runs = np.array(runs)
    se = np.std(runs, axis=0, ddof=1) / 2.0
    assert np.all(np.abs(runs.mean(axis=0) - theory) < 4.0 * se + 2e-3)


def test_informative_start_probes_the_informative_branch():
    """Between alpha_IT ~ 1.25 and alpha_alg ~ 1.49 the solution is a fixed point GAMP does not find
    from the uninformative start; started from the teacher, it stays there."""
    informative = _final_overlaps(1.3, 600, range(3), init="informative")
    uninformative = _final_overlaps(1.3, 600, range(3), max_iter=400)  # slow near alpha_alg
    assert np.all(informative > 0.999)
    assert np.all(uninformative < 0.95)


@pytest.mark.parametrize("damping", [0.0, 0.5])
def test_vector_mode_and_damping_reach_the_same_solution(damping):
    data = teacher_student("rademacher", "sign", 400, 2.5, seed=7)
    a = {}
    for variance in MODES:
        result = gamp(data.F, data.y, "rademacher", "sign", variance=variance, damping=damping, teacher=data.teacher)
        assert result.converged and result.m[-1] > 0.999
        a[variance] = result.a
    np.testing.assert_allclose(a["scalar"], a["vector"], atol=1e-8)


def test_random_start_and_explicit_array_start():
    data = teacher_student("rademacher", "sign", 300, 2.5, seed=3)
    one = gamp(data.F, data.y, "rademacher", "sign", init="random", seed=11, teacher=data.teacher)
    rng = np.random.default_rng(11)
    two = gamp(data.F, data.y, "rademacher", "sign", init="random", seed=rng, teacher=data.teacher)
    np.testing.assert_array_equal(one.a, two.a)
    assert one.m[-1] > 0.999
    start = gamp(data.F, data.y, "rademacher", "sign", init=data.teacher.copy(), teacher=data.teacher)
    assert start.converged and start.iterations == 1 and start.m[-1] == 1.0


# --------------------------------------------------------------------------- kernels and bookkeeping


@pytest.mark.parametrize("M, N", [(1, 1), (3, 5), (4, 7), (9, 2), (14, 33)])
def test_fused_kernels_match_numpy(M, N):
    rng = np.random.default_rng(M * 100 + N)
    F = rng.standard_normal((M, N))
    a, v, g, h = rng.standard_normal(N), rng.random(N), rng.standard_normal(M), rng.standard_normal(M)
    omega, V, Bg, Ah = np.empty(M), np.empty(M), np.full(N, np.nan), np.full(N, np.nan)
    _forward(F, a, v, omega, V)
    _backward(F, g, h, Bg, Ah)
    np.testing.assert_allclose(omega, F @ a, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(V, (F * F) @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Bg, F.T @ g, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Ah, (F * F).T @ h, rtol=1e-12, atol=1e-12)


def test_result_fields():
    data = teacher_student("rademacher", "sign", 200, 2.5, seed=0)
    result = gamp(data.F, data.y, "rademacher", "sign", teacher=data.teacher)
    assert isinstance(result, GAMPResult)
    for field in ("delta", "q", "m", "mse"):
        assert getattr(result, field).shape == (result.iterations,)
    assert result.a.shape == result.v.shape == (200,)
    assert result.delta[0] == 1.0  # from a = 0
    assert result.delta[-1] <= 1e-8
    expanded = result.q - 2 * result.m + np.mean(data.teacher**2)
    np.testing.assert_allclose(result.mse, expanded, atol=1e-12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.converged = False
    blind = gamp(data.F, data.y, RademacherPrior(), "sign")
    assert blind.m is None and blind.mse is None
    np.testing.assert_array_equal(blind.a, result.a)


# --------------------------------------------------------------------------- (e) reproducibility


@pytest.mark.parametrize("variance", MODES)
def test_same_input_same_output_bit_for_bit(variance):
    runs = []
    for _ in range(2):
        data = teacher_student("gauss-bernoulli", "probit", 300, 1.5, seed=42, rho=0.3, delta=0.05)
        params = dict(rho=0.3, delta=0.05, variance=variance, damping=0.2)
        runs.append(gamp(data.F, data.y, "gauss-bernoulli", "probit", **params))
    for field in ("a", "v", "delta", "q"):
        np.testing.assert_array_equal(getattr(runs[0], field), getattr(runs[1], field))
    assert runs[0].iterations == runs[1].iterations


# --------------------------------------------------------------------------- (f) non-convergence


def test_iteration_limit_warns():
    data = teacher_student("rademacher", "sign", 200, 1.0, seed=0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        result = gamp(data.F, data.y, "rademacher", "sign", max_iter=3)
    assert not result.converged and result.iterations == 3


def test_non_zero_mean_matrix_fails_loudly():
    """GAMP is built for zero-mean i.i.d. matrices; a strong common mean makes it oscillate."""
    rng = np.random.default_rng(0)
    F = (rng.standard_normal((200, 100)) + 1.0) / 10.0
    y = F @ rng.standard_normal(100) + 0.1 * rng.standard_normal(200)
    with pytest.warns(ConvergenceWarning):
        result = gamp(F, y, "gaussian", "gaussian", delta=0.01, max_iter=100)
    assert not result.converged and np.all(np.isfinite(result.a))


class _BrokenChannel(GaussianChannel):
    def _output(self, y, omega, V):
        return np.full_like(omega, np.inf), np.full_like(omega, -np.inf)


def test_non_finite_iterate_warns_and_returns_last_finite_state():
    data = teacher_student("gaussian", "gaussian", 50, 1.0, seed=0, delta=0.1)
    with pytest.warns(ConvergenceWarning, match="non-finite"):
        result = gamp(data.F, data.y, "gaussian", _BrokenChannel(0.1))
    assert not result.converged and result.iterations == 0
    assert np.all(np.isfinite(result.a)) and np.all(np.isfinite(result.v))


# --------------------------------------------------------------------------- (d) validation


@pytest.fixture(scope="module")
def small():
    return teacher_student("rademacher", "sign", 20, 2.0, seed=0)


def test_shape_mismatch_names_both_shapes(small):
    with pytest.raises(ValueError, match=r"\(40, 20\).*\(39,\)"):
        gamp(small.F, small.y[:-1], "rademacher", "sign")
    with pytest.raises(ValueError, match="2-D"):
        gamp(small.F[0], small.y, "rademacher", "sign")
    with pytest.raises(ValueError, match=r"teacher.*\(20,\)"):
        gamp(small.F, small.y, "rademacher", "sign", teacher=np.ones(21))
    with pytest.raises(ValueError, match=r"init.*\(20,\)"):
        gamp(small.F, small.y, "rademacher", "sign", init=np.ones(19))


@pytest.mark.parametrize("name", ["F", "y", "teacher", "init"])
def test_nan_inputs_are_refused(small, name):
    args = dict(F=np.array(small.F), y=np.array(small.y), teacher=np.array(small.teacher), init=np.zeros(20))
    args[name].flat[3] = np.nan
    with pytest.raises(ValueError, match=f"{name} must be finite"):
        gamp(args["F"], args["y"], "rademacher", "sign", teacher=args["teacher"], init=args["init"])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(prior="laplace"), ValueError, "unknown prior"),
        (dict(channel="tanh"), ValueError, "unknown channel"),
        (dict(kappa=1.0), ValueError, "unknown parameters"),
        (dict(max_iter=0), ValueError, "max_iter"),
        (dict(max_iter=2.5), TypeError, "max_iter"),
        (dict(tol=0.0), ValueError, "tol"),
        (dict(damping=1.0), ValueError, "damping"),
        (dict(damping=-0.1), ValueError, "damping"),
        (dict(variance="diagonal"), ValueError, "variance"),
        (dict(init="teacher"), ValueError, "init"),
        (dict(init="informative"), ValueError, "teacher="),
        (dict(init="random"), ValueError, "seed"),
        (dict(seed=3), ValueError, "seed"),
        (dict(init="random", seed="x"), TypeError, "seed"),
    ],
)
def test_parameter_validation(small, kwargs, error, match):
    args = dict(prior="rademacher", channel="sign")
    args.update(kwargs)
    with pytest.raises(error, match=match):
        gamp(small.F, small.y, **args)


def test_labels_outside_the_channel_are_refused(small):
    with pytest.raises(ValueError, match="y must be -1 or \\+1"):
        gamp(small.F, small.y * 2.0, "rademacher", "sign")


def test_no_warning_when_converged():
    data = teacher_student("rademacher", "sign", 200, 3.0, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gamp(data.F, data.y, "rademacher", "sign").converged
