"""Finite-size ERM on the covariate models: reproducibility, statistics of the generated data, an
exact result (least squares on Gaussian design), solver convergence, bad input."""

import math

import numpy as np
import pytest

from statlearn.experiments import ERMSimulation, Instance, realise, simulate
from statlearn.models.activations import gaussian_equivalence
from statlearn.models.channels import get_channel
from statlearn.models.covariates import BlockCovariates, RandomFeatures

SALIENT_WEAK = BlockCovariates.salient_weak(0.25, 4.0, 0.5, teacher=(2.0, 0.5))


def within(samples, target, k=4.0):
    """The mean of i.i.d. ``samples`` is within ``k`` standard errors of ``target``."""
    samples = np.asarray(samples)
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    return abs(samples.mean() - target) <= k * se


def fields_equal(a: ERMSimulation, b: ERMSimulation, runs=slice(None)):
    names = ["generalization_error", "training_loss", "training_error", "m", "q", "rho", "converged"]
    return all(np.array_equal(getattr(a, f)[runs], getattr(b, f)[runs]) for f in names)


# -- 1. reproducibility -----------------------------------------------------------------------------


def test_runs_are_reproducible_and_independent_of_the_number_of_seeds():
    args = (RandomFeatures("tanh"), "sign", "logistic", 0.1)
    kwargs = dict(alpha=2.0, d=40, gamma=1.5, n_test=500)
    three = simulate(*args, seeds=3, seed=7, **kwargs)
    assert fields_equal(three, simulate(*args, seeds=3, seed=7, **kwargs))
    assert fields_equal(three, simulate(*args, seeds=5, seed=7, **kwargs), runs=slice(0, 3))
    assert not np.array_equal(three.m, simulate(*args, seeds=3, seed=8, **kwargs).m)
    assert three.generalization_error.shape == (3,) and three.converged.dtype == bool
    with pytest.raises(ValueError):
        three.generalization_error[0] = 0.0  # read-only
    assert three.mean("m") == pytest.approx(three.m.mean())
    assert three.stderr("m") == pytest.approx(three.m.std(ddof=1) / math.sqrt(3))


def test_instance_shapes_and_block_sizes():
    rf = realise(RandomFeatures("relu"), 40, gamma=1.5, rng=0)
    V, z = rf.sample(7, np.random.default_rng(1))
    assert (rf.d, rf.p, rf.features.shape, V.shape, z.shape) == (40, 60, (60, 40), (7, 60), (7,))
    assert np.all(V >= 0)
    tiny = realise(BlockCovariates((0.001, 0.999), (2.0, 1.0), (1.0, 1.0)), 10, rng=0)
    assert np.sum(tiny.scale == math.sqrt(2.0)) == 1 and tiny.p == tiny.d == 10
    blocks = realise(SALIENT_WEAK, 201, rng=0)
    assert np.sum(blocks.scale == 2.0) == 50  # round(0.25 * 201)
    V, z = blocks.sample(5, 3)
    assert np.array_equal(V, blocks.sample(5, 3)[0]) and V.shape == (5, 201)


# -- 2. statistics of the generated data ----------------------------------------------------------


def test_random_features_have_the_moments_of_the_activation():
    mu0, mu1, mu_star = gaussian_equivalence("relu")
    assert mu0 == pytest.approx(1 / math.sqrt(2 * math.pi)) and mu0**2 + mu1**2 + mu_star**2 == pytest.approx(0.5)
    instance = realise(RandomFeatures("relu"), 400, gamma=1.0, rng=11)
    V, z = instance.sample(4000, np.random.default_rng(12))
    F, theta, D = instance.features, instance.theta, instance.d
    # relu is 1-homogeneous: given F, feature i has E v = mu0 |F_i|/sqrt(D), E v^2 = E relu^2 |F_i|^2/D
    c = np.sum(F * F, axis=1) / D
    assert within(V.mean(axis=1), mu0 * np.mean(np.sqrt(c)))
    assert within(np.mean(V * V, axis=1), (mu0**2 + mu1**2 + mu_star**2) * np.mean(c))
    assert abs(np.mean(np.sqrt(c)) - 1) < 0.01  # so the features' mean is mu0 to 1%
    # Stein: E v_i z = E relu'(h_i) Cov(h_i, z) = mu1 F_i . theta / D, tested along that direction
    cross = mu1 * F @ theta / D
    assert within(z * (V @ cross) / (cross @ cross), 1.0)
    assert within(z * z, theta @ theta / D)


def test_block_inputs_have_the_block_variances_and_the_teacher_its_overlaps():
    instance = realise(SALIENT_WEAK, 200, rng=5)
    V, z = instance.sample(3000, np.random.default_rng(6))
    salient = instance.scale == 2.0
    assert salient.sum() == 50 and instance.features is None  # the student sees the inputs
    assert within(np.mean(V[:, salient] ** 2, axis=1), 4.0)
    assert within(np.mean(V[:, ~salient] ** 2, axis=1), 0.5)
    variances = instance.scale**2
    assert within(z * z, np.sum(variances * instance.theta**2) / 200)  # theta^T Sigma theta / d
    cross = variances * instance.theta / math.sqrt(200)  # E x z = Sigma theta / sqrt(d)
    assert within(z * (V @ cross) / (cross @ cross), 1.0)
    # over teachers: block second moments t_b, and rho = sum_b fraction_b variance_b t_b
    thetas = np.array([realise(SALIENT_WEAK, 200, rng=np.random.default_rng([5, k])).theta for k in range(60)])
    assert within(np.mean(thetas[:, salient] ** 2, axis=1), 2.0)
    assert within(np.mean(thetas[:, ~salient] ** 2, axis=1), 0.5)
    rho = 0.25 * 4.0 * 2.0 + 0.75 * 0.5 * 0.5
    assert SALIENT_WEAK.spectrum().rho == pytest.approx(rho)
    assert within(thetas**2 @ variances / 200, rho)


# -- 3. an exact answer, and the iterative solvers -----------------------------------------------


def test_least_squares_excess_error_on_gaussian_design():
    """y = z + sqrt(Delta) noise, n = 2p, lam = 0: E|w - theta|^2 / p = Delta E tr (X^T X)^{-1}
    = Delta p / (n - p - 1) (inverse Wishart), E training residual^2 = Delta (n - p) / n."""
    delta, d = 0.5, 100
    run = simulate(
        BlockCovariates.isotropic(),
        get_channel("gaussian", delta=delta),
        "square",
        0.0,
        alpha=2.0,
        d=d,
        seeds=40,
        n_test=2000,
        seed=3,
    )
    assert within(run.generalization_error, delta * d / (2 * d - d - 1))
    assert within(run.training_error, delta * (2 * d - d) / (2 * d))
    assert run.training_loss == pytest.approx(run.training_error / 2)  # square loss (y - z)^2 / 2
    assert within(run.rho, 1.0) and np.all(run.converged)
    # the teacher is recovered up to the noise: m ~ rho ~ 1, q = m + excess error
    assert run.mean("q") - 2 * run.mean("m") + run.mean("rho") == pytest.approx(
        run.mean("generalization_error"), rel=1e-12
    )


@pytest.mark.parametrize("loss", ["logistic", "hinge"])
@pytest.mark.parametrize("model, gamma", [(SALIENT_WEAK, None), (RandomFeatures("erf"), 1.5)])
def test_classification_fits_converge(loss, model, gamma):
    run = simulate(
        model,
        get_channel("noisy-sign", delta=0.1),
        loss,
        0.1,
        alpha=3.0,
        d=60,
        gamma=gamma,
        seeds=2,
        n_test=3000,
        seed=1,
    )
    assert np.all(run.converged)
    assert np.all(
        (run.generalization_error > 0.02) & (run.generalization_error < 0.4)
    )  # learns, against the clean teacher
    assert np.all(run.training_error < 0.5) and np.all(run.m > 0)


# -- 4. bad input -----------------------------------------------------------------------------------

RF = RandomFeatures("relu")


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        (dict(alpha=0.0), ValueError, "alpha"),
        (dict(alpha=-1.0), ValueError, "alpha"),
        (dict(d=0), ValueError, "d"),
        (dict(d=10.5), TypeError, "d"),
        (dict(seeds=0), ValueError, "seeds"),
        (dict(n_test=0), ValueError, "n_test"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(alpha=0.01), ValueError, "alpha"),  # rounds to no sample
        (dict(lam=-1.0), ValueError, "lam"),
        (dict(gamma=None), ValueError, "gamma"),
        (dict(gamma=0.0), ValueError, "gamma"),
        (dict(model=BlockCovariates.isotropic(), gamma=1.0), ValueError, "gamma"),
        (dict(model=SALIENT_WEAK, gamma=None, d=1), ValueError, "d"),
        (dict(model="relu"), TypeError, "model"),
        (dict(teacher=get_channel("gaussian", delta=0.1)), ValueError, "logistic"),
        (dict(loss="hinge", teacher=get_channel("gaussian", delta=0.1)), ValueError, "hinge"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(kwargs, error, name):
    args = (
        dict(model=RF, teacher="sign", loss="logistic", lam=0.1, alpha=1.0, d=10, gamma=1.0, seeds=1, n_test=10, seed=0)
        | kwargs
    )
    with pytest.raises(error, match=name):
        simulate(args.pop("model"), args.pop("teacher"), args.pop("loss"), args.pop("lam"), **args)


def test_bad_instance_and_field_requests():
    with pytest.raises(TypeError, match="rng"):
        realise(RF, 10, gamma=1.0, rng=1.5)
    with pytest.raises(ValueError, match="n"):
        realise(RF, 10, gamma=1.0, rng=0).sample(0, 0)
    run = simulate(
        BlockCovariates.isotropic(),
        get_channel("gaussian", delta=0.1),
        "square",
        0.1,
        alpha=1.0,
        d=10,
        seeds=1,
        n_test=10,
        seed=0,
    )
    with pytest.raises(ValueError, match="field"):
        run.mean("error")
    assert math.isnan(run.stderr("m"))
    assert isinstance(realise(BlockCovariates.isotropic(), 3, rng=0), Instance)
