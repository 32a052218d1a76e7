"""Priors: denoisers are derivatives of the log partition, replica pieces against mpmath, identities."""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statlearn.models.priors import (
    DiscretePrior,
    GaussBernoulliPrior,
    GaussianPrior,
    Prior,
    RademacherPrior,
    get_prior,
)

PRIORS = [
    GaussianPrior(2.0),
    RademacherPrior(),
    GaussBernoulliPrior(0.1),
    DiscretePrior([-1.0, 0.0, 2.0], [0.3, 0.5, 0.2]),
]
IDS = ["gaussian", "rademacher", "gauss-bernoulli", "discrete"]


def mp_log_partition(prior: Prior, B, A):
    """ln E_w exp(B w - A w^2 / 2) straight from the definition, in mpmath."""
    B, A = mp.mpf(B), mp.mpf(A)
    if isinstance(prior, GaussianPrior):
        rho = mp.mpf(prior.rho)
        return mp.log(
            mp.quad(lambda w: mp.exp(B * w - A * w * w / 2) * mp.npdf(w, 0, mp.sqrt(rho)), [-mp.inf, 0, mp.inf])
        )
    if isinstance(prior, GaussBernoulliPrior):
        rho = mp.mpf(prior.rho)
        slab = mp.quad(lambda w: mp.exp(B * w - A * w * w / 2) * mp.npdf(w), [-mp.inf, 0, mp.inf])
        return mp.log(1 - rho + rho * slab)
    return mp.log(mp.fsum(mp.mpf(p) * mp.exp(B * v - A * v * v / 2) for v, p in zip(prior.values, prior.probabilities)))


def mp_log_partition_closed(prior: Prior, B, A):
    """Closed forms of the Gaussian integrals (checked against the definition above)."""
    B, A = mp.mpf(B), mp.mpf(A)
    if isinstance(prior, GaussianPrior):
        rho = mp.mpf(prior.rho)
        return rho * B * B / (2 * (1 + rho * A)) - mp.log(1 + rho * A) / 2
    if isinstance(prior, GaussBernoulliPrior):
        rho = mp.mpf(prior.rho)
        return mp.log(1 - rho + rho * mp.exp(B * B / (2 * (1 + A))) / mp.sqrt(1 + A))
    return mp_log_partition(prior, B, A)


def mp_teacher_average(prior: Prior, fn, mhat):
    """E_{w0, xi} fn(B), B = sqrt(mhat) xi + mhat w0, by mpmath integration.

    For a Gaussian w0 ~ N(0, s2), B is Gaussian with variance mhat + s2 mhat^2 (one integral).
    """
    r = mp.mpf(mhat)

    def gaussian_b(var, centre=0):
        sd = mp.sqrt(var)
        return mp.quad(lambda u: fn(centre + sd * u) * mp.npdf(u), [-mp.inf, -centre / sd, -1, 0, 1, mp.inf])

    if isinstance(prior, GaussianPrior):
        return gaussian_b(r + prior.rho * r * r)
    if isinstance(prior, GaussBernoulliPrior):
        rho = mp.mpf(prior.rho)
        return (1 - rho) * gaussian_b(r) + rho * gaussian_b(r + r * r)
    return mp.fsum(mp.mpf(p) * gaussian_b(r, r * mp.mpf(v)) for v, p in zip(prior.values, prior.probabilities))


@pytest.mark.parametrize("prior", PRIORS, ids=IDS)
def test_log_partition_against_definition(prior):
    with mp.workdps(30):
        for B, A in [(0.0, 0.0), (0.7, 0.3), (-3.0, 2.0), (25.0, 10.0)]:
            ref = mp_log_partition(prior, B, A)
            assert prior.log_partition(B, A) == pytest.approx(float(ref), rel=1e-12, abs=1e-13)
            assert float(mp_log_partition_closed(prior, B, A)) == pytest.approx(float(ref), rel=1e-12, abs=1e-13)


@pytest.mark.parametrize("prior", PRIORS, ids=IDS)
def test_denoiser_is_derivative_of_log_partition(prior):
    B = np.linspace(-30, 30, 61)
    for A in (0.0, 0.5, 10.0, 1e4):
        h = 1e-5 * np.maximum(1.0, np.abs(B))
        mean, var = prior.denoise(B, A)
        np.testing.assert_allclose(
            mean, (prior.log_partition(B + h, A) - prior.log_partition(B - h, A)) / (2 * h), rtol=1e-6, atol=1e-8
        )
        num_var = (prior.denoise(B + h, A)[0] - prior.denoise(B - h, A)[0]) / (2 * h)
        np.testing.assert_allclose(var, num_var, rtol=1e-5, atol=1e-8)
        assert np.all(var >= 0)


@pytest.mark.parametrize("prior", PRIORS, ids=IDS)
@pytest.mark.parametrize("mhat", [0.3, 3.0, 40.0])
def test_replica_pieces_against_mpmath(prior, mhat):
    with mp.workdps(20):
        psi = mp_teacher_average(prior, lambda B: mp_log_partition_closed(prior, B, mhat), mhat)
    assert prior.free_entropy(mhat) == pytest.approx(float(psi), rel=1e-9)


@pytest.mark.parametrize("prior", PRIORS, ids=IDS)
def test_nishimori_and_derivative_identities(prior):
    mhat = np.array([0.05, 0.5, 5.0, 50.0, 500.0])
    m, mse = prior.overlap(mhat), prior.mse(mhat)
    np.testing.assert_allclose(m + mse, prior.rho, rtol=1e-12)
    h = 1e-4 * mhat
    dpsi = (prior.free_entropy(mhat + h) - prior.free_entropy(mhat - h)) / (2 * h)
    np.testing.assert_allclose(dpsi, m / 2, rtol=1e-7)  # d Psi_w / d mhat = m / 2
    dinfo = (prior.information(mhat + h) - prior.information(mhat - h)) / (2 * h)
    np.testing.assert_allclose(dinfo, mse / 2, rtol=1e-5, atol=1e-12)  # I-MMSE (Guo, Shamai, Verdu 2005)


def test_limits():
    for prior in PRIORS:
        mean = float(np.sum(prior.values * prior.probabilities)) if isinstance(prior, DiscretePrior) else 0.0
        assert prior.overlap(0.0) == pytest.approx(mean**2, abs=1e-14)
        assert prior.information(0.0) == pytest.approx(0.0, abs=1e-14)
        assert prior.mse(1e8) < 1e-6 * prior.rho
        # a negative zero is zero (it once gave NaN in the Gauss-Bernoulli log-odds)
        for zero_load in (-0.0, np.array([-0.0, 0.0])):
            assert np.allclose(prior.overlap(zero_load), prior.overlap(0.0), rtol=1e-14, atol=0.0)
            assert np.allclose(prior.mse(zero_load), prior.mse(0.0), rtol=1e-14, atol=0.0)
            assert np.allclose(prior.information(zero_load), 0.0, rtol=0.0, atol=1e-14)
    # a discrete prior's information saturates at its entropy, with no cancellation
    assert RademacherPrior().information(1e6) == pytest.approx(math.log(2), rel=1e-14)
    p = np.array([0.3, 0.5, 0.2])
    assert PRIORS[3].information(1e6) == pytest.approx(float(-np.sum(p * np.log(p))), rel=1e-13)
    assert RademacherPrior().mse(2000.0) == pytest.approx(0.0, abs=1e-300) and RademacherPrior().mse(2000.0) >= 0


def test_gaussian_closed_forms_match_the_generic_average():
    prior = GaussianPrior(1.7)
    mhat = np.array([0.1, 1.0, 10.0])
    generic = lambda fn: prior.channel_average(fn, mhat)  # noqa: E731
    np.testing.assert_allclose(generic(lambda B, a: prior.log_partition(B, a)), prior.free_entropy(mhat), rtol=1e-12)
    np.testing.assert_allclose(generic(lambda B, a: prior.denoise(B, a)[0] ** 2), prior.overlap(mhat), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.0, 1e4), st.floats(0.0, 1e4))
def test_overlap_monotone_in_snr(a, b):
    lo, hi = sorted([a, b])
    for prior in PRIORS[1:3]:
        assert prior.overlap(lo) <= prior.overlap(hi) + 1e-13


@pytest.mark.parametrize("prior", PRIORS, ids=IDS)
def test_sampling_moments_and_reproducibility(prior):
    w = prior.sample(200_000, np.random.default_rng(5))
    assert np.mean(w**2) == pytest.approx(prior.rho, abs=5 * np.std(w**2) / math.sqrt(w.size))
    np.testing.assert_array_equal(w, prior.sample(200_000, np.random.default_rng(5)))


def test_get_prior_and_validation():
    assert isinstance(get_prior("rademacher"), RademacherPrior)
    assert get_prior("gaussian", rho=3.0).rho == 3.0
    assert get_prior("gauss-bernoulli", rho=0.2).rho == pytest.approx(0.2)
    with pytest.raises(ValueError, match="known priors: gaussian, rademacher, gauss-bernoulli"):
        get_prior("laplace")
    with pytest.raises(ValueError, match="needs rho"):
        get_prior("gauss-bernoulli")
    with pytest.raises(ValueError, match="rho"):
        GaussianPrior(-1.0)
    with pytest.raises(ValueError, match="rho"):
        GaussBernoulliPrior(1.5)
    with pytest.raises(ValueError, match="mhat"):
        RademacherPrior().overlap(-1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        DiscretePrior([0, 1], [0.5, 0.6])


# ------------------------------------------------------------ the Rademacher prior's closed forms


def test_rademacher_averages_match_the_generic_discrete_prior_and_mpmath():
    # the Nishimori-symmetric trapezoid forms against the graded-rule average of the two atoms
    fast, generic = RademacherPrior(), DiscretePrior([-1.0, 1.0], [0.5, 0.5])
    mhat = np.array([0.0, 1e-6, 0.1, 0.99, 1.0, 3.0, 20.0, 80.0])
    np.testing.assert_allclose(fast.mse(mhat), generic.mse(mhat), rtol=1e-12)
    np.testing.assert_allclose(fast.overlap(mhat), generic.overlap(mhat), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fast.information(mhat), generic.information(mhat), rtol=1e-13, atol=1e-15)
    # and deep in the tail, where the MMSE is ~e^{-mhat/2}, against mpmath
    with mp.workdps(30):
        m = mp.mpf(400)
        ref = mp.quad(lambda x: mp.npdf(x) * mp.sech(m + mp.sqrt(m) * x) ** 2, [-mp.inf, -mp.sqrt(m), mp.inf])
    assert fast.mse(400.0) == pytest.approx(float(ref), rel=1e-12)


def test_denoisers_are_ufunc_like():
    for prior in PRIORS:
        assert np.all(np.isnan(prior.denoise(math.nan, 1.0)[0]))
        assert np.isnan(prior.log_partition(1.0, math.nan))
        for bad in (None, "abc", object()):
            with pytest.raises(TypeError, match="B"):
                prior.denoise(bad, 1.0)
            with pytest.raises(TypeError, match="A"):
                prior.log_partition(1.0, bad)


def mp_gauss_bernoulli_mse(rho: float, mhat: float):
    """E f_v over B = sqrt(mhat) xi + mhat w0 from the definition of the posterior (spike and slab), in mpmath,
    with the crossover of the slab's posterior weight (pi = 1/2 at |B| = B*) as a breakpoint."""
    rho, A = mp.mpf(rho), mp.mpf(mhat)
    logit0 = mp.log(rho / (1 - rho))

    def f_v(B):
        pi = 1 / (1 + mp.exp(-(logit0 - mp.log(1 + A) / 2 + B * B / (2 * (1 + A)))))
        return pi / (1 + A) + pi * (1 - pi) * B * B / (1 + A) ** 2

    b_star = mp.sqrt(max(0, 2 * (1 + A) * (mp.log(1 + A) / 2 - logit0)))
    total = 0
    for weight, var in ((1 - rho, A), (rho, A + A * A)):
        sd = mp.sqrt(var)
        cuts = sorted({0, b_star / sd})
        edges = [-mp.inf] + [-c for c in reversed(cuts) if c > 0] + cuts + [mp.inf]
        total += weight * mp.quad(lambda u: f_v(sd * u) * mp.npdf(u), edges)
    return total


@pytest.mark.parametrize("rho", [1e-4, 0.05, 0.5, 0.9, 0.999])
def test_gauss_bernoulli_mse_against_the_definition(rho):
    # the one-integral form (Nishimori) on its trapezoidal rule, against the two-component average of the
    # posterior variance; dense priors (rho = 0.9, 0.999) were 1.7e-6 and 3e-4 off with the earlier kink rule
    prior = GaussBernoulliPrior(rho)
    mhat = np.array([1e-3, 0.3, 3.0, 30.0, 76.0, 1e3, 3.2e4, 1e8, 1e12])
    with mp.workdps(30):
        ref = np.array([float(mp_gauss_bernoulli_mse(rho, m)) for m in mhat])
    np.testing.assert_allclose(prior.mse(mhat), ref, rtol=1e-13)
    np.testing.assert_allclose(prior.overlap(mhat) + prior.mse(mhat), rho, rtol=1e-14)


@pytest.mark.parametrize("rho", [0.05, 0.5, 0.999])
def test_gauss_bernoulli_information_against_the_definition(rho):
    # I = rho mhat / 2 - E ln Z_w(B), from the closed-form log partition averaged over the spike and the slab in
    # mpmath; the package's form has no cancellation at small or large mhat (the earlier kink rule was 4e-5 off
    # at rho = 0.999 and 2e-6 at mhat = 1e-10)
    prior = GaussBernoulliPrior(rho)
    mhat = [1e-10, 1e-4, 0.3, 0.999, 1.0, 76.0, 3.2e4, 1e6]
    with mp.workdps(30):
        rho_mp, ref = mp.mpf(rho), []
        for m in mhat:
            A = mp.mpf(m)
            b_star = mp.sqrt(max(0, 2 * (1 + A) * (mp.log(1 + A) / 2 - mp.log(rho_mp / (1 - rho_mp)))))
            psi = 0
            for weight, var in ((1 - rho_mp, A), (rho_mp, A + A * A)):
                sd = mp.sqrt(var)
                cut = b_star / sd
                edges = [-mp.inf, -cut, 0, cut, mp.inf] if cut > 0 else [-mp.inf, 0, mp.inf]
                psi += weight * mp.quad(lambda u: mp_log_partition_closed(prior, sd * u, A) * mp.npdf(u), edges)
            ref.append(float(rho_mp * A / 2 - psi))
    np.testing.assert_allclose(prior.information(np.array(mhat)), ref, rtol=1e-13)
