"""ERM losses: proximal operators and Moreau envelopes against direct minimisation, derivatives
against finite differences, closed forms, non-expansiveness, large arguments, bad input."""

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from statlearn.models.losses import LOSSES, Hinge, Logistic, Loss, Square, get_loss


@pytest.fixture(autouse=True)
def mp_precision():
    """40 digits for the mpmath references, without touching the global precision other modules set."""
    with mp.workdps(40):
        yield


def _objective(name, y, omega, V):
    r"""The defining objective in the shift d = z - omega, :math:`d^2/(2V) + \ell(y, \omega + d)`, in mpmath."""
    y, omega, V = mp.mpf(y), mp.mpf(omega), mp.mpf(V)
    loss = {
        "square": lambda z: (y - z) ** 2 / 2,
        "logistic": lambda z: mp.log1p(mp.exp(-y * z)),
        "hinge": lambda z: max(mp.mpf(0), 1 - y * z),
    }[name]

    def objective(d):
        d = mp.mpf(float(d))
        return d**2 / (2 * V) + loss(omega + d)

    return objective


def _reference(name, y, omega, V):
    """(argmin, min) of the objective by scipy's Brent minimiser, independently of the code under test.

    A first pass locates the minimum; the second minimises the objective minus its value there
    (a constant, computed in mpmath), so that the floats Brent compares resolve the minimum to
    ~1e-11 instead of sqrt(eps) relative to the objective's size.
    """
    f = _objective(name, y, omega, V)
    first = optimize.minimize_scalar(lambda d: float(f(d)), bracket=(0.0, V), method="brent")
    level = f(first.x)
    width = 1e-3 * max(V, 1e-3)
    second = optimize.minimize_scalar(
        lambda d: float(f(d) - level),
        bracket=(first.x - width, first.x + width),
        method="brent",
        options={"xtol": 1e-14},
    )
    return omega + second.x, float(f(second.x))


OMEGAS = [-1e6, -30.0, -2.5, -0.3, 0.0, 0.7, 1.0, 4.0, 30.0, 1e6]
VS = [1e-6, 1e-2, 0.5, 3.0, 200.0]
LABELS = {"square": [-1.0, 1.0, 2.7], "logistic": [-1.0, 1.0], "hinge": [-1.0, 1.0]}


@pytest.mark.parametrize("name", list(LOSSES))
def test_prox_and_envelope_match_direct_minimisation(name):
    loss = LOSSES[name]
    for y in LABELS[name]:
        for omega in OMEGAS:
            for V in VS:
                prox, envelope = _reference(name, y, omega, V)
                where = f"{name}: y={y}, omega={omega}, V={V}"
                # 1e-8 absolute, or a few ulps of omega = 1e6 (where z itself carries ~1e-10)
                assert loss.proximal(y, omega, V) == pytest.approx(prox, rel=1e-15, abs=1e-8), where
                assert loss.moreau_envelope(y, omega, V) == pytest.approx(envelope, rel=1e-10, abs=1e-12), where


def _away_from_kinks(loss, y, omega, V, h):
    if not isinstance(loss, Hinge):
        return np.ones(np.broadcast(y, omega, V).shape, dtype=bool)
    u0 = y * omega
    return (np.abs(u0 - 1.0) > 100 * h) & (np.abs(u0 - (1.0 - V)) > 100 * h)


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
def test_derivatives_match_finite_differences(loss):
    y = np.array([-1.0, 1.0])[:, None, None]
    omega = np.linspace(-8.0, 8.0, 61)[None, :, None] + 0.0123
    V = np.array([1e-2, 0.5, 3.0, 50.0])[None, None, :]
    h = 1e-5
    keep = _away_from_kinks(loss, y, omega, V, h)
    dM = (loss.moreau_envelope(y, omega + h, V) - loss.moreau_envelope(y, omega - h, V)) / (2 * h)
    dprox = (loss.proximal(y, omega + h, V) - loss.proximal(y, omega - h, V)) / (2 * h)
    np.testing.assert_allclose(loss.moreau_derivative(y, omega, V)[keep], dM[keep], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(loss.proximal_derivative(y, omega, V)[keep], dprox[keep], rtol=1e-6, atol=1e-8)
    # the ERM output function: f_out = -dM/domega, df_out = (dprox - 1) / V
    f, df = loss.output(y, omega, V)
    np.testing.assert_allclose(f, -loss.moreau_derivative(y, omega, V), rtol=1e-14, atol=1e-300)
    # (the difference quotient (dprox - 1) / V loses ~eps / V; output() avoids it)
    np.testing.assert_allclose(df, (loss.proximal_derivative(y, omega, V) - 1.0) / V, rtol=1e-12, atol=1e-13)


def test_hinge_derivative_is_piecewise_zero_one():
    hinge = Hinge()
    V = 0.5
    u0 = np.array([-3.0, 0.49, 0.5, 0.75, 1.0, 1.01, 5.0])
    for y in (-1.0, 1.0):
        np.testing.assert_array_equal(hinge.proximal_derivative(y, y * u0, V), [1, 1, 0, 0, 0, 1, 1])
        np.testing.assert_allclose(hinge.proximal(y, y * u0, V), y * np.array([-2.5, 0.99, 1, 1, 1, 1.01, 5.0]))


def test_square_closed_forms():
    square = Square()
    y, omega, V = 1.7, np.linspace(-5, 5, 11), np.array([[0.1], [2.0]])
    np.testing.assert_allclose(square.proximal(y, omega, V), (omega + V * y) / (1 + V), rtol=1e-15)
    np.testing.assert_allclose(square.moreau_envelope(y, omega, V), (y - omega) ** 2 / (2 * (1 + V)), rtol=1e-14)
    np.testing.assert_allclose(square.moreau_derivative(y, omega, V), (omega - y) / (1 + V), rtol=1e-14)
    np.testing.assert_allclose(square.proximal_derivative(y, omega, V), np.broadcast_to(1 / (1 + V), (2, 11)))
    assert square.value(2.0, 0.5) == 1.125


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
def test_prox_is_firmly_nonexpansive_on_a_wide_grid(loss):
    rng = np.random.default_rng(7)
    a = rng.normal(size=4000) * 10.0 ** rng.uniform(-2, 6, size=4000)
    b = a + rng.normal(size=4000) * 10.0 ** rng.uniform(-8, 3, size=4000)
    V = 10.0 ** rng.uniform(-6, 5, size=4000)
    y = rng.choice([-1.0, 1.0], size=4000)
    pa, pb = loss.proximal(y, a, V), loss.proximal(y, b, V)
    slack = 1e-14 * (np.abs(a) + np.abs(b) + V)
    assert np.all(np.abs(pa - pb) <= np.abs(a - b) + slack)
    assert np.all((pa - pb) * np.sign(a - b) >= -slack)  # monotone
    dprox = loss.proximal_derivative(y, a, V)
    assert np.all((dprox >= 0.0) & (dprox <= 1.0))


def test_logistic_large_arguments_stay_finite_and_exact():
    logistic = Logistic()
    V = np.array([1e-8, 1e-2, 1.0, 1e3, 1e5])
    for y in (-1.0, 1.0):
        for omega in (-1e6, 1e6):
            prox = logistic.proximal(y, omega, V)
            envelope = logistic.moreau_envelope(y, omega, V)
            f, df = logistic.output(y, omega, V)
            for arr in (prox, envelope, f, df, logistic.proximal_derivative(y, omega, V)):
                assert np.all(np.isfinite(arr))
            if y * omega > 0:  # correctly classified far away: nothing moves
                np.testing.assert_array_equal(prox, omega)
                np.testing.assert_array_equal(envelope, 0.0)
            else:  # loss ~ -y z: prox moves by V y, M = |omega| - V/2 (+ e^{-...})
                np.testing.assert_allclose(prox, omega + V * y, rtol=1e-15)
                np.testing.assert_allclose(envelope, 1e6 - V / 2, rtol=1e-15)
                np.testing.assert_allclose(f, y, rtol=1e-15)
    assert logistic.value(1.0, -1e6) == 1e6
    assert logistic.value(1.0, 40.0) == pytest.approx(np.exp(-40.0), rel=1e-14)
    assert logistic.value(-1.0, 1e6) == 1e6


def test_logistic_newton_root_is_accurate_to_machine_precision():
    """t = -y dM/domega is the root of t = sigma(-(y omega + V t)); compare with mpmath's root to 1e-13 relative."""
    logistic = Logistic()
    points = [
        (1.0, 0.0, 1e6),
        (1.0, -3.0, 3e5),
        (-1.0, 2.0, 0.3),
        (1.0, 25.0, 1e-3),
        (1.0, 0.5, 1e-9),
        (-1.0, -40.0, 7.0),
    ]
    for y, omega, V in points:
        u0 = mp.mpf(y * omega)
        t_ref = mp.findroot(lambda t: t - 1 / (1 + mp.exp(u0 + V * t)), (mp.mpf(0), mp.mpf(1)), solver="anderson")
        t = -y * logistic.moreau_derivative(y, omega, V)
        assert t == pytest.approx(float(t_ref), rel=1e-13), (y, omega, V)


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
def test_scalar_in_float_out_and_broadcasting(loss):
    assert isinstance(loss.proximal(1.0, 0.3, 0.5), float)
    assert isinstance(loss.moreau_envelope(1.0, 0.3, 0.5), float)
    assert isinstance(loss.value(1.0, 0.3), float)
    f, df = loss.output(1.0, 0.3, 0.5)
    assert isinstance(f, float) and isinstance(df, float)
    out = loss.proximal(np.array([-1.0, 1.0])[:, None], np.linspace(-1, 1, 3), np.array([0.5, 1.0, 2.0]))
    assert out.shape == (2, 3)
    assert loss.proximal(1.0, [0.3], 0.5)[0] == loss.proximal(1.0, 0.3, 0.5)


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
@pytest.mark.parametrize("V", [0.0, -1.0, np.inf, np.nan, [1.0, 0.0]])
def test_bad_V_is_refused_naming_V(loss, V):
    for method in (loss.proximal, loss.moreau_envelope, loss.moreau_derivative, loss.proximal_derivative, loss.output):
        with pytest.raises(ValueError, match=r"^V must"):
            method(1.0, 0.3, V)


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
def test_nan_inputs_are_refused_naming_the_parameter(loss):
    with pytest.raises(ValueError, match=r"^omega must be finite"):
        loss.proximal(1.0, [0.0, np.nan], 1.0)
    with pytest.raises(ValueError, match=r"^y must be finite"):
        loss.moreau_envelope(np.nan, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"^z must be finite"):
        loss.value(1.0, np.nan)


@pytest.mark.parametrize("loss", [Logistic(), Hinge()], ids=["logistic", "hinge"])
def test_classification_losses_need_pm1_labels(loss):
    with pytest.raises(ValueError, match=r"^y must be -1 or \+1"):
        loss.proximal([1.0, 0.5], 0.0, 1.0)


def test_get_loss_by_name_or_instance():
    assert get_loss("logistic") is LOSSES["logistic"]
    hinge = Hinge()
    assert get_loss(hinge) is hinge
    assert Square() == LOSSES["square"] and Square() != Hinge() and repr(Logistic()) == "Logistic()"
    assert all(isinstance(loss, Loss) and loss.name == name for name, loss in LOSSES.items())
    with pytest.raises(ValueError, match=r"unknown loss 'ridge'; known losses: square, logistic, hinge"):
        get_loss("ridge")
    with pytest.raises(TypeError, match="loss must be a name"):
        get_loss(3)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(list(LOSSES)),
    y=st.sampled_from([-1.0, 1.0]),
    omega=st.floats(-1e4, 1e4),
    gap=st.floats(0.0, 1e3),
    V=st.floats(1e-6, 1e4),
)
def test_prox_is_monotone_and_nonexpansive_in_omega(name, y, omega, gap, V):
    loss = LOSSES[name]
    lower, upper = loss.proximal(y, omega, V), loss.proximal(y, omega + gap, V)
    slack = 1e-13 * (1.0 + abs(omega) + gap + V)
    assert lower <= upper + slack
    assert upper - lower <= gap + slack
    # the envelope lies between the loss's minimum (0) and its value at omega (take z = omega)
    envelope = loss.moreau_envelope(y, omega, V)
    assert -slack <= envelope <= loss.value(y, omega) + slack


@pytest.mark.parametrize("name", ["square", "logistic", "hinge"])
def test_derivative_against_finite_differences(name):
    loss = get_loss(name)
    z = np.linspace(-4.0, 4.0, 41) + 0.0137  # off the hinge's kinks at y z = 1
    y = np.where(np.arange(z.size) % 2, 1.0, -1.0)
    h = 1e-6
    numeric = (loss.value(y, z + h) - loss.value(y, z - h)) / (2 * h)
    assert loss.derivative(y, z) == pytest.approx(numeric, abs=1e-8)
