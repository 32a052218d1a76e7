"""Committee AMP: K = 1 is GAMP, the symmetric manifold, agreement with state evolution, permutation matching,
reproducibility, non-convergence."""

import warnings

import numpy as np
import pytest

from statlearn.amp import CommitteeAMPResult, committee_amp, gamp, matched_overlap
from statlearn.models.committee import committee_teacher
from statlearn.models.data import teacher_student
from statlearn.numerics import ConvergenceWarning
from statlearn.replica.committee import bayes_optimal, state_evolution_trajectory


@pytest.mark.parametrize("prior", ["gaussian", "rademacher"])
def test_k1_is_gamp_with_the_sign_channel(prior):
    data = teacher_student(prior, "sign", 300, 2.0, seed=3)
    ref = gamp(data.F, data.y, prior, "sign", max_iter=12, tol=1e-14, variance="scalar")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = committee_amp(data.F, data.y, 1, prior=prior, max_iter=12, tol=1e-14)
    assert res.iterations == ref.iterations
    assert np.allclose(res.W[:, 0], ref.a, rtol=1e-10, atol=1e-12)


def test_symmetric_start_stays_on_the_non_specialised_manifold():
    """Below alpha_spec the non-specialised fixed point is stable: from a = 0 the two units stay equal up to
    rounding (above it, rounding is amplified: the instability)."""
    data = committee_teacher(2, 200, 1.5, prior="gaussian", seed=1)
    res = committee_amp(data.F, data.y, 2, teacher=data.teacher, max_iter=100, tol=1e-10)
    assert isinstance(res, CommitteeAMPResult) and res.converged
    assert np.allclose(res.W[:, 0], res.W[:, 1], rtol=1e-9, atol=1e-12)
    assert np.allclose(res.self_overlap[:, 0, 0], res.self_overlap[:, 1, 1])


def test_overlap_follows_state_evolution_within_the_finite_n_spread():
    """q_parallel(t) of AMP from the uninformative start (q = 0) against the state evolution from q = 0, at
    N = 1000, alpha = 1.5: the seed mean within 4 standard errors of the seed spread."""
    alpha, steps = 1.5, 6
    se = state_evolution_trajectory(2, alpha, "gaussian", steps=steps)
    runs = []
    for seed in range(6):
        data = committee_teacher(2, 1000, alpha, prior="gaussian", seed=10 + seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = committee_amp(data.F, data.y, 2, teacher=data.teacher, max_iter=steps, tol=1e-12)
        runs.append(res.q_parallel)
        assert np.allclose(res.q_perp, 0.0, atol=1e-12)
    q = np.array(runs)
    error = q.std(axis=0, ddof=1) / np.sqrt(len(runs))
    assert np.all(np.abs(q.mean(axis=0) - se[1:, 0]) < 4 * error)


def test_matched_overlap_undoes_a_permutation():
    rng = np.random.default_rng(0)
    T = rng.standard_normal((500, 2))
    W = T + 0.3 * rng.standard_normal((500, 2))
    Q, perm = matched_overlap(W, T)
    Q_swapped, perm_swapped = matched_overlap(W[:, ::-1], T)
    assert perm == (0, 1) and perm_swapped == (1, 0)
    assert np.allclose(Q, Q_swapped)


def test_random_start_is_reproducible_and_perfect_recovery_is_a_fixed_point():
    data = committee_teacher(2, 300, 2.5, prior="rademacher", seed=2)
    kwargs = dict(prior="rademacher", teacher=data.teacher, init="random", seed=7, max_iter=5, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a, b = committee_amp(data.F, data.y, 2, **kwargs), committee_amp(data.F, data.y, 2, **kwargs)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.delta, b.delta)
    res = committee_amp(data.F, data.y, 2, prior="rademacher", teacher=data.teacher, init="informative", max_iter=50)
    assert res.converged
    assert np.allclose(np.sign(res.W), data.teacher) and np.abs(np.trace(res.overlap[-1]) - 2.0) < 1e-6


def test_not_converging_warns_and_says_why():
    data = committee_teacher(2, 100, 2.0, prior="gaussian", seed=0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = committee_amp(data.F, data.y, 2, max_iter=2)
    assert not res.converged and res.iterations == 2 and res.overlap is None
    assert "2" in res.message and res.residual == res.delta[-1]


@pytest.mark.parametrize(
    "prior, alpha, init, damping, branch",
    [
        ("gaussian", 2.6, "specialised", 0.0, "specialised"),
        ("rademacher", 1.57, "non-specialised", 0.5, "non-specialised"),
        ("rademacher", 2.3, "specialised", 0.0, "perfect"),
    ],
)
def test_fixed_points_on_both_sides_of_the_gap(prior, alpha, init, damping, branch):
    """From a random start at N = 1000: Gaussian prior above alpha_spec, AMP specialises; Rademacher prior
    between alpha_IT and the instability of the non-specialised branch it stays there (the computational gap),
    beyond alpha_alg it recovers the teacher. Within 5 finite-N standard deviations (0.03 each at N = 1000,
    the measured spread of q over seeds)."""
    data = committee_teacher(2, 1000, alpha, prior=prior, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = committee_amp(
            data.F,
            data.y,
            2,
            prior=prior,
            teacher=data.teacher,
            init="random",
            seed=1,
            max_iter=400,
            tol=1e-5,
            damping=damping,
        )
    state = bayes_optimal(2, alpha, prior=prior, init=init)
    assert state.branch == branch
    assert abs(res.q_parallel[-1] - state.q_parallel) < 0.15
    assert abs(res.q_perp[-1] - state.q_perp) < 0.15
