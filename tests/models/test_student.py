"""The channel side of ERM for any teacher and loss: a teacher and a loss defined here, outside the
package, plug into the saddle point without touching statlearn.replica.erm, and reproduce the
built-in (compiled) ones and the closed forms."""

import math

import numpy as np
import pytest
from scipy import special

from statlearn.models.channels import Channel, get_channel, threshold_weight
from statlearn.models.covariates import BlockCovariates
from statlearn.models.losses import Loss, compiled_output, get_loss
from statlearn.models.student import expected_loss, output_averages
from statlearn.replica import ridge_isotropic, saddle_point

ISO = BlockCovariates.isotropic()


class ScaledSquare(Loss):
    """l(y, z) = a (y - z)^2 / 2 with only the four required hooks (the generic output function)."""

    name = "scaled-square"
    discrete_labels = False

    def __init__(self, a: float) -> None:
        self.a = a

    def _value(self, y, z):
        return 0.5 * self.a * (y - z) ** 2

    def _derivative(self, y, z):
        return self.a * (z - y)

    def _proximal(self, y, omega, V):
        return (omega + self.a * V * y) / (1.0 + self.a * V)

    def _proximal_derivative(self, y, omega, V):
        return 1.0 / (1.0 + self.a * V) + 0.0 * (y + omega)


class FlippedSign(Channel):
    """y = sign(z) flipped with probability eps, written from scratch with scipy (not the package's
    threshold channels): only ln Z_out and g_out are given, the rest is the Channel's generic code."""

    name = "flipped-sign"
    discrete_labels = True

    def __init__(self, eps: float) -> None:
        self.eps = eps

    def _log_partition(self, y, omega, V):
        return np.log(self.eps + (1.0 - 2.0 * self.eps) * special.ndtr(y * omega / np.sqrt(V)))

    def _output(self, y, omega, V):
        z = np.exp(self._log_partition(y, omega, V))
        dz = (1.0 - 2.0 * self.eps) * y * np.exp(-0.5 * omega**2 / V) / np.sqrt(2.0 * np.pi * V)
        return dz / z, np.full(np.shape(z), np.nan)  # the derivative is not needed by a teacher

    def _sample(self, z, rng):
        labels = np.where(z >= 0, 1.0, -1.0)
        return np.where(rng.random(z.shape) < self.eps, -labels, labels)

    def _label_average(self, fn, q, rho):
        raise NotImplementedError

    def _generalization_error(self, m, rho):
        raise NotImplementedError


@pytest.mark.parametrize("a", [0.5, 2.0])
@pytest.mark.parametrize("alpha", [0.7, 2.5])
def test_a_new_loss_solves_the_saddle_point(a, alpha):
    # a (y - z)^2 / 2 with penalty lam is ridge with penalty lam / a: Hastie et al.'s closed form
    lam, noise = 0.1, 0.25
    point = saddle_point(ISO, "gaussian", ScaledSquare(a), lam, alpha=alpha, delta=noise)
    exact = ridge_isotropic(1 / alpha, lam / a / alpha, 1.0, noise).risk
    assert point.converged
    assert point.generalization_error == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("loss", ["logistic", "hinge", "square"])
def test_a_new_teacher_solves_the_saddle_point(loss):
    # the user's teacher goes through the generic (vectorised) path, the built-in one through the
    # compiled loop: the same saddle point
    mine = saddle_point(ISO, FlippedSign(0.1), loss, 0.1, alpha=1.5)
    builtin = saddle_point(ISO, "noisy-sign", loss, 0.1, alpha=1.5, delta=0.1)
    assert mine.converged and builtin.converged
    for field in ("m", "q", "V", "generalization_error", "training_loss"):
        assert getattr(mine, field) == pytest.approx(getattr(builtin, field), rel=1e-9), field


def test_teacher_average_against_a_direct_quadrature():
    # E g0 f and E f^2 of the square loss for the probit teacher against scipy quad over xi and y = +-1
    from scipy import integrate

    teacher, delta, m, q, V, rho = get_channel("probit", delta=0.3), 0.3, 0.4, 0.5, 0.7, 1.0
    v0 = rho - m * m / q

    def weight(xi, y):
        mu = m / math.sqrt(q) * xi
        return special.ndtr(y * mu / math.sqrt(v0 + delta)), y * math.exp(-0.5 * mu * mu / (v0 + delta)) / math.sqrt(
            2 * math.pi * (v0 + delta)
        )

    def average(k):
        def integrand(xi):
            total = 0.0
            for y in (1.0, -1.0):
                z0, slope = weight(xi, y)
                f = (y - math.sqrt(q) * xi) / (1.0 + V)
                total += (slope * f, z0 * f * f)[k]
            return total * math.exp(-0.5 * xi * xi) / math.sqrt(2 * math.pi)

        return integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-14, epsrel=1e-12)[0]

    g0f, f2, df = output_averages(teacher, get_loss("square"), m, q, V, rho)
    assert g0f == pytest.approx(average(0), rel=1e-10)
    assert f2 == pytest.approx(average(1), rel=1e-10)
    assert df == pytest.approx(-1.0 / (1.0 + V), rel=1e-12)
    assert expected_loss(teacher, get_loss("square"), m, q, V, rho) == pytest.approx(
        0.5 * f2, rel=1e-12
    )  # y - prox = f_out


def test_compiled_scalars_are_the_vectorised_path():
    # one definition: the public vectorised methods are the compiled scalars elementwise
    rng = np.random.default_rng(1)
    y, omega, V = np.where(rng.random(50) < 0.5, 1.0, -1.0), rng.normal(0, 3, 50), 10 ** rng.uniform(-2, 2, 50)
    for code, name in enumerate(("square", "logistic", "hinge")):
        f, df = get_loss(name).output(y, omega, V)
        scalar = np.array([compiled_output(code, *args, 200)[:2] for args in zip(y, omega, V)])
        assert np.array_equal(np.c_[f, df], scalar), name
    channel = get_channel("probit", delta=0.2)
    z, slope = channel.partition_and_slope(y, omega, V)
    scalar = np.array([threshold_weight(*args, 0.0, 0.2) for args in zip(y, omega, V)])
    assert np.array_equal(np.c_[z, slope], scalar)


def test_bad_arguments_name_the_parameter():
    teacher, loss = get_channel("sign"), get_loss("logistic")
    with pytest.raises(ValueError, match="m must satisfy"):
        output_averages(teacher, loss, 2.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="V must be > 0"):
        output_averages(teacher, loss, 0.5, 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="labels"):
        output_averages(get_channel("gaussian", delta=0.1), loss, 0.5, 1.0, 1.0, 1.0)
    with pytest.raises(TypeError, match="teacher"):
        output_averages("sign", loss, 0.5, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="continuous labels"):
        get_channel("relu", delta=0.1).teacher_average(lambda *a: (a[2],), 0.5, 1.0, 1.0)


@pytest.mark.parametrize(
    "name, params",
    [("sign", {}), ("noisy-sign", {"delta": 0.1}), ("probit", {"delta": 0.3}), ("gaussian", {"delta": 0.2})],
)
@pytest.mark.parametrize("q", [0.05, 0.5, 0.9])
def test_the_bayes_optimal_student_is_the_case_m_equals_q(name, params, q):
    # the teacher average at m = q (the Bayes-optimal student, Nishimori) is the state-evolution
    # conjugate E Z g^2 = E slope^2 / Z of Channel.conjugate: the ERM and Bayes paths share the channel
    channel = get_channel(name, **params)
    conjugate = channel.teacher_average(lambda y, omega, z0, slope: (slope * slope / z0,), q, q, 1.0)[0]
    assert conjugate == pytest.approx(channel.conjugate(q, 1.0), rel=1e-9)
