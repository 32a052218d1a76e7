"""ERM saddle point: the vectorised-quadrature solver against a scipy.integrate.quad reference.

The case (issue): a 100-point learning curve of logistic regression on ReLU random features,
sign teacher, lam = 1e-3, alpha = n/d = 2, gamma = P/D = ``geomspace(0.1, 10, 100)``.

* **fast**: :func:`statlearn.replica.erm.learning_curve` on the whole grid (one call, after a
  one-point warm-up that compiles or loads the numba kernels), best of ``--rounds`` rounds.
* **reference**: the same saddle-point equations, solved in this script with the same strategy:
  the solver's own iteration (``erm.solve_map`` on its state (c = m/sqrt(rho q), ln q, ln V) with its
  projection: chord-Newton steps with the previous point's inverse Jacobian, else damped Anderson
  iteration and the Newton polish, to tol 1e-11), the lambda ladder, and the same continuation along the
  grid (the secant through its own last two solutions, ``erm._predict``); but each channel-side average E f_out^2, E d_omega f_out,
  E g0 f_out (over xi ~ N(0, 1) and y = +-1 with the weights Z0(y, m xi / sqrt q, rho - m^2/q)) is
  its own ``scipy.integrate.quad`` on (-inf, 0] and [0, inf) (split at the teacher's crossover
  xi = 0; epsabs 1e-12, epsrel 1e-10), whose integrand is plain scalar Python (``math.erfc`` for the
  sign teacher's Z0, its g0 Z0 in closed form, the logistic prox by the library's monotone
  Newton iteration): what a careful straightforward implementation does, without the per-call overhead
  of the library's validated array API. The prior side (sums over the spectrum's nodes) is shared:
  ``_Problem.overlaps``.

Both curves start with a cold Marchenko-Pastur cache. Accuracy: max |fast - reference| of
generalization_error, m and q over the grid. Target (issue 5): reference / fast >= 20 at matching accuracy.

**Square loss (issue 12).** Ridge curves of ``--ridge-points`` points (gaussian teacher, Delta = 0.1):
isotropic data, alpha = ``geomspace(0.1, 10)``, lam = 1e-2; ReLU random features, alpha = 1,
gamma = ``geomspace(0.1, 10)``, lam = 1e-3. Each is solved by the general solver twice, interleaved,
best of ``--rounds``: through the generic quadrature path (a ``Square`` whose
:meth:`~statlearn.models.losses.Loss.moment_averages` returns None, as every loss did before) and with
the square loss's closed-form channel averages; and by the ridge closed forms it equals
(:func:`statlearn.replica.ridge.ridge_isotropic`, :func:`~statlearn.replica.ridge.random_features_ridge`,
one vectorised call). Printed: ms per point, the ratios quadrature / closed form and closed form / ridge
formula, and the largest difference of the generalisation errors.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_erm.py [--points 100 --ridge-points 20 --rounds 3]``
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy import integrate

from statlearn.models.channels import get_channel
from statlearn.models.covariates import BlockCovariates, RandomFeatures, marchenko_pastur_rule
from statlearn.models.losses import Square, get_loss
from statlearn.replica.erm import _LAMBDA_LADDER, _predict, _Problem, learning_curve, solve_map
from statlearn.replica.ridge import random_features_ridge, ridge_isotropic

LAM, ALPHA, TOL, MAX_ITER = 1e-3, 2.0, 1e-11, 3000
EPSABS, EPSREL, LIMIT = 1e-12, 1e-10, 200


def seconds(func) -> tuple[float, object]:
    """Wall-clock seconds of one call, and its result."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


SQRT2, SQRT2PI = math.sqrt(2.0), math.sqrt(2.0 * math.pi)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def logistic_output(y: float, omega: float, V: float) -> tuple[float, float]:
    """(f_out, d_omega f_out) of the logistic loss at one point, in plain Python, by the library's
    method (:class:`statlearn.models.losses.Logistic`): monotone Newton on
    g(u) = u - y omega - V sigma(-u) from the bracket end nearer 0, f_out = y sigma(-u*),
    d f_out = -c / (1 + V c) with c = sigma(u*) sigma(-u*)."""
    a = y * omega
    u = max(0.0, a) if a + 0.5 * V > 0.0 else min(0.0, a + V)
    previous = math.inf
    for _ in range(200):
        s = _sigmoid(-u)
        step = (u - a - V * s) / (1.0 + V * s * _sigmoid(u))
        if abs(step) >= previous:
            break
        u -= step
        previous = abs(step)
        if previous <= 4e-16 * (1.0 + abs(u) + abs(a)):
            break
    c = _sigmoid(u) * _sigmoid(-u)
    return y * _sigmoid(-u), -c / (1.0 + V * c)


class QuadReference:
    """The saddle point with every channel-side average a scipy ``quad`` over xi (module docstring)."""

    def __init__(self, model, teacher, loss, alpha: float, gamma: float, memory: dict):
        self.prior = _Problem(model, teacher, loss, alpha, gamma)  # spectrum, ratio, rho, overlaps
        self.teacher, self.loss = teacher, loss
        self.rho, self.ratio = self.prior.rho, self.prior.ratio
        self.evaluations = 0
        self.memory = memory  # shared along the curve (reference_curve)

    def _expectation(self, m: float, q: float, V: float, which: int) -> float:
        """E over xi and y of f_out^2 (which = 0), d_omega f_out (1) or g0 f_out (2)."""
        q = max(q, 1e-300)
        v0 = max(self.rho - m * m / q, 1e-14 * self.rho)
        sq, slope, root_v0 = math.sqrt(q), m / math.sqrt(q), math.sqrt(v0)

        def integrand(xi: float) -> float:
            self.evaluations += 1
            omega, mu = sq * xi, slope * xi
            total = 0.0
            for y in (1.0, -1.0):
                x = y * mu / root_v0
                f, df = logistic_output(y, omega, V)
                if which == 0:
                    total += 0.5 * math.erfc(-x / SQRT2) * f * f  # Z0 = H(-y mu / sqrt v0)
                elif which == 1:
                    total += 0.5 * math.erfc(-x / SQRT2) * df
                else:
                    total += y * math.exp(-0.5 * x * x) / (SQRT2PI * root_v0) * f  # Z0 g0, no division by Z0
            return total * math.exp(-0.5 * xi * xi) / SQRT2PI

        options = dict(epsabs=EPSABS, epsrel=EPSREL, limit=LIMIT)
        with warnings.catch_warnings():
            warnings.simplefilter("error", integrate.IntegrationWarning)  # never pass a bad quad silently
            left = integrate.quad(integrand, -np.inf, 0.0, **options)[0]
            right = integrate.quad(integrand, 0.0, np.inf, **options)[0]
        return left + right

    def conjugates(self, m: float, q: float, V: float) -> tuple[float, float, float]:
        f2, df, g0f = (self._expectation(m, q, V, which) for which in range(3))
        return self.ratio * g0f, self.ratio * f2, -self.ratio * df

    # The iterated state is the solver's own: (c, ln q, ln V), c = m / sqrt(rho q), with its projection.
    def state(self, m: float, q: float, V: float) -> np.ndarray:
        return self.prior.state(m, q, V)

    def unpack(self, x: np.ndarray) -> tuple[float, float, float]:
        return self.prior.unpack(x)

    def project(self, x: np.ndarray) -> np.ndarray:
        return self.prior.project(x)

    def solve(self, lam: float, start: np.ndarray):
        """Same strategy as ``_Problem.solve``: (FixedPointResult, conjugates)."""

        def step(x: np.ndarray) -> np.ndarray:
            m, q, V = self.prior.overlaps(lam, *self.conjugates(*self.unpack(x)))
            return self.state(m, q, V)

        result = solve_map(step, start, TOL, MAX_ITER, anderson=5, project=self.project, memory=self.memory)
        return result, self.conjugates(*self.unpack(result.x))

    def point(self, lam: float, start: tuple[float, float, float]) -> dict:
        """The saddle point from overlaps ``start`` = (m, q, V), with the lambda-ladder fallback of
        ``_solve_point``."""
        start = self.state(*start)
        result, _ = self.solve(lam, start)
        iterations = result.iterations
        if not result.converged:
            x = np.array(start, dtype=float)
            for factor in _LAMBDA_LADDER:
                result, _ = self.solve(lam * factor, x)
                iterations += result.iterations
                if result.converged:
                    x = result.x
        m, q, V = self.unpack(result.x)
        error = float(np.arccos(np.clip(m / math.sqrt(self.rho * q), -1.0, 1.0)) / np.pi)
        return dict(
            m=m,
            q=q,
            V=V,
            generalization_error=error,
            converged=result.converged,
            iterations=iterations,
            residual=result.residual,
        )


class QuadratureSquare(Square):
    """The square loss without its closed form: the solver averages it by quadrature (the path before)."""

    def _moment_averages(self, second_moment, gain, m, q, V):
        return None


def ridge_comparison(points: int, rounds: int) -> list[tuple[str, float, float, float, float]]:
    """(case, quadrature s, closed-form s, ridge-formula s, max |error difference|) of the square-loss
    curves (module docstring): the three interleaved, best of ``rounds``."""
    delta, rows = 0.1, []
    alphas, gammas = np.geomspace(0.1, 10.0, points), np.geomspace(0.1, 10.0, points)
    cases = [
        (
            "isotropic, lam 1e-2",
            lambda loss: learning_curve(BlockCovariates.isotropic(), "gaussian", loss, 1e-2, alpha=alphas, delta=delta),
            lambda: ridge_isotropic(1.0 / alphas, 1e-2 / alphas, 1.0, delta).risk,
        ),
        (
            "ReLU random features, lam 1e-3",
            lambda loss: learning_curve(
                RandomFeatures("relu"), "gaussian", loss, 1e-3, alpha=1.0, gamma=gammas, delta=delta
            ),
            lambda: random_features_ridge(1.0, gammas, 1e-3, "relu", noise=delta).risk,
        ),
    ]
    for name, curve, formula in cases:
        curve(Square()), curve(QuadratureSquare()), formula()  # compile / warm up
        best = [np.inf, np.inf, np.inf]
        for _ in range(rounds):
            for i, run in enumerate((lambda: curve(QuadratureSquare()), lambda: curve(Square()), formula)):
                marchenko_pastur_rule.cache_clear()
                elapsed, value = seconds(run)
                best[i] = min(best[i], elapsed)
                if i == 1:
                    fast = value
                elif i == 2:
                    exact = value
        rows.append((name, *best, float(np.max(np.abs(fast.generalization_error - exact)))))
    return rows


def reference_curve(model, teacher, loss, gammas: np.ndarray) -> tuple[list[dict], int]:
    """The reference along the grid with the fast solver's own continuation (``_predict``: the secant
    through the last two solutions), and its number of quad integrand evaluations."""
    solved, points, evaluations = [], [], 0
    memory: dict = {}  # the last inverse Jacobian along the curve, as the solver's
    for gamma in gammas:
        ref = QuadReference(model, teacher, loss, ALPHA, float(gamma), memory)
        t = math.log(ALPHA) + math.log(gamma)
        out = ref.point(LAM, tuple(ref.unpack(_predict(ref.prior, solved, t))))
        if out["converged"]:
            solved.append((t, ref.state(out["m"], out["q"], out["V"])))
        points.append(out)
        evaluations += ref.evaluations
    return points, evaluations


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100, help="grid points (default: the issue's 100)")
    parser.add_argument("--ridge-points", type=int, default=20, help="points of the square-loss curves (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the fast curves (best taken)")
    args = parser.parse_args(argv)
    gammas = np.geomspace(0.1, 10.0, args.points)
    model, teacher, loss = RandomFeatures("relu"), get_channel("sign"), get_loss("logistic")

    learning_curve(model, "sign", "logistic", LAM, alpha=ALPHA, gamma=[1.0])  # numba compile / cache load
    fast_total, curve = np.inf, None
    for _ in range(args.rounds):
        marchenko_pastur_rule.cache_clear()
        elapsed, curve = seconds(lambda: learning_curve(model, "sign", "logistic", LAM, alpha=ALPHA, gamma=gammas))
        fast_total = min(fast_total, elapsed)
    marchenko_pastur_rule.cache_clear()
    ref_total, (ref, evaluations) = seconds(lambda: reference_curve(model, teacher, loss, gammas))

    ridge_rows = ridge_comparison(args.ridge_points, args.rounds)

    n = len(gammas)
    print(
        f"ERM learning curve: logistic loss, sign teacher, ReLU random features, lam = {LAM:g}, "
        f"alpha = {ALPHA:g}, gamma = geomspace(0.1, 10, {n}); both solvers with the same continuation"
    )
    print(f"reference: scipy quad (epsabs {EPSABS:g}, epsrel {EPSREL:g}), {evaluations} integrand evaluations")
    print(
        f"  {'i':>3} {'gamma':>7} {'it f/r':>7} {'generalization_error':>11} {'|d err|':>8} {'|d m|':>8} {'|d q|':>8}"
    )
    d = np.array(
        [[abs(getattr(curve, k)[i] - ref[i][k]) for k in ("generalization_error", "m", "q")] for i in range(n)]
    )
    for i in range(0, n, max(1, n // 10)):
        print(
            f"  {i:>3} {gammas[i]:7.3f} {curve.iterations[i]:>3}/{ref[i]['iterations']:<3} "
            f"{ref[i]['generalization_error']:11.8f} {d[i, 0]:8.1e} {d[i, 1]:8.1e} {d[i, 2]:8.1e}"
        )
    fast_iterations = int(curve.iterations.sum())
    ref_iterations = sum(r["iterations"] for r in ref)
    converged = bool(np.all(curve.converged)) and all(r["converged"] for r in ref)
    summary = [
        (
            f"fast curve (best of {args.rounds})",
            f"{fast_total:10.3f} s  ({1e3 * fast_total / n:.1f} ms/point, {fast_iterations} iterations)",
        ),
        ("reference curve", f"{ref_total:10.3f} s  ({1e3 * ref_total / n:.0f} ms/point, {ref_iterations} iterations)"),
        ("ratio reference / fast", f"{ref_total / fast_total:10.1f}   (target >= 20)"),
        ("ratio per iteration", f"{(ref_total / ref_iterations) / (fast_total / fast_iterations):10.1f}"),
        ("max |generalization_error fast - reference|", f"{d[:, 0].max():10.1e}"),
        ("max |m fast - ref|, |q fast - ref|", f"{d[:, 1].max():10.1e}, {d[:, 2].max():.1e}"),
        ("all converged", f"{converged!s:>10}"),
    ]
    for label, value in summary:
        print(f"  {label:<42}: {value}")
    k = args.ridge_points
    print(
        f"\nsquare loss (ridge), gaussian teacher Delta = 0.1, {k} points, best of {args.rounds}; ms per point:"
        "\n  quadrature = the general solver averaging the square loss by quadrature (before); closed form ="
        "\n  the same solver with Square.moment_averages; formula = the ridge closed form (one vectorised call)"
    )
    print(
        f"  {'case':<32} {'quadrature':>10} {'closed form':>11} {'formula':>9} "
        f"{'quad/closed':>11} {'closed/formula':>14} {'max |d err|':>11}"
    )
    for name, quad, closed, formula, diff in ridge_rows:
        print(
            f"  {name:<32} {1e3 * quad / k:10.3f} {1e3 * closed / k:11.3f} {1e3 * formula / k:9.4f} "
            f"{quad / closed:11.1f} {closed / formula:14.0f} {diff:11.1e}"
        )


if __name__ == "__main__":
    main()
