"""Bayes-optimal GLM state evolution, thresholds and phase diagram: statlearn against plain references.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_bayes_optimal.py [--rounds 5]``

References, written here from the same equations (docs/theory/glm.md), not taken from the package:

* ``quad``: the state evolution :math:`V \\leftarrow \\rho - m(\\alpha C(\\rho - V))` iterated plainly to a
  relative change of 1e-13, with the channel's conjugate
  :math:`C(q) = \\mathbb{E}_\\xi \\sum_y Z_{out} g_{out}^2` by ``scipy.integrate.quad`` (split at the crossover
  :math:`\\xi = 0`) and, for the Rademacher prior, :math:`\\rho - m = \\mathbb{E}\\operatorname{sech}^2(\\hat m +
  \\sqrt{\\hat m}\\xi)` by ``quad`` too: the accuracy reference (the overlaps must agree to 1e-10).
* ``plain GH``: the same iteration with a 40-node Gauss-Hermite rule in :math:`\\xi`, erfcx-stable, all loads
  as one array: the specialised speed reference of the issue (Gaussian prior and sign channel only).

Peers are context only (the issue's quiet 2-core figures): tramp 44.8 ms per point on the Gaussian-sign
curve at its default tolerance, so 1000x is 45 microseconds per point; 300x on Rademacher-sign is about
0.1 ms per point.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy import integrate, special

from statlearn.models.priors import GaussBernoulliPrior, RademacherPrior
from statlearn.replica import bayes_optimal, phase_diagram, thresholds

TRAMP_GAUSSIAN_SIGN = 44.8e-3  # s per point, the quiet measurement at tramp's default tolerance
TARGET_RADEMACHER = 0.1e-3  # s per point: 300x tramp on Rademacher-sign (the brief's scale)


def hazard(x):
    return math.sqrt(2.0 / math.pi) / special.erfcx(np.asarray(x) / math.sqrt(2.0))


def conjugate_quad(q: float, rho: float = 1.0) -> float:
    """Sign channel: E_xi sum_y H(-y s xi) R(-y s xi)^2 / V, s = sqrt(q / V), by quad."""
    V = rho - q
    s = math.sqrt(q / V)

    def f(xi):
        x = s * xi
        return (
            math.exp(-0.5 * xi * xi)
            / math.sqrt(2 * math.pi)
            * (special.ndtr(x) * hazard(-x) ** 2 + special.ndtr(-x) * hazard(x) ** 2)
        )

    lo, _ = integrate.quad(f, -40.0, 0.0, epsabs=0, epsrel=1e-13, limit=200)
    hi, _ = integrate.quad(f, 0.0, 40.0, epsabs=0, epsrel=1e-13, limit=200)
    return (lo + hi) / V


def rademacher_mse_quad(mhat: float) -> float:
    if mhat == 0.0:
        return 1.0
    root = math.sqrt(mhat)

    def f(xi):
        return math.exp(-0.5 * xi * xi) / math.sqrt(2 * math.pi) / math.cosh(mhat + root * xi) ** 2

    centre = -root
    parts = [integrate.quad(f, a, b, epsabs=0, epsrel=1e-13, limit=200)[0] for a, b in ((-60, centre), (centre, 60))]
    return sum(parts)


def solve_quad(prior: str, alphas: np.ndarray, start: float) -> np.ndarray:
    """Plain iteration of each load with quad averages; returns the overlaps m."""
    out = []
    for a in alphas:
        V = start
        for _ in range(10_000):
            mhat = a * conjugate_quad(1.0 - V)
            new = 1.0 / (1.0 + mhat) if prior == "gaussian" else rademacher_mse_quad(mhat)
            done = abs(new - V) <= 1e-13 * max(new, V)
            V = new
            if done:
                break
        out.append(1.0 - V)
    return np.array(out)


def solve_plain_gh(alphas: np.ndarray, nodes: int = 40) -> np.ndarray:
    """Gaussian prior, sign channel: plain vectorised Gauss-Hermite fixed point (the issue's reference)."""
    z, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    V = np.ones_like(alphas)
    for _ in range(10_000):
        q = 1.0 - V
        x = np.sqrt(q / V)[None, :] * z[:, None]
        c = (w @ (special.ndtr(x) * hazard(-x) ** 2 + special.ndtr(-x) * hazard(x) ** 2)) / V
        new = 1.0 / (1.0 + alphas * c)
        if np.all(np.abs(new - V) <= 1e-12 * np.maximum(new, V)):
            V = new
            break
        V = new
    return 1.0 - V


def best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds = args.rounds
    curve = np.linspace(0.1, 10.0, 20)
    warnings.simplefilter("ignore")
    bayes_optimal("rademacher", "sign", curve[:2])  # compile and cache

    print("task | statlearn | reference | ratio")
    # 1. Gaussian prior, sign channel, 20 loads, equilibrium (one branch: a single fixed point)
    ours = best(lambda: bayes_optimal("gaussian", "sign", curve), rounds * 4) / curve.size
    plain = best(lambda: solve_plain_gh(curve), rounds * 4) / curve.size
    t = time.perf_counter()
    m_ref = solve_quad("gaussian", curve, 1.0)
    quad = (time.perf_counter() - t) / curve.size
    m = bayes_optimal("gaussian", "sign", curve).m
    print(
        f"Gaussian-sign, 20 alphas in 0.1..10: {ours * 1e6:.1f} us/point | plain GH {plain * 1e6:.1f} us, "
        f"quad {quad * 1e3:.1f} ms | {ours / plain:.2f}x plain GH, {quad / ours:.0f}x quad, "
        f"{TRAMP_GAUSSIAN_SIGN / ours:.0f}x tramp (44.8 ms) | max |m - m_quad| = {np.max(np.abs(m - m_ref)):.1e}"
    )
    # 2. Rademacher prior, sign channel: the same curve, both branches
    ours_r = best(lambda: bayes_optimal("rademacher", "sign", curve), rounds) / curve.size
    pair = np.array([1.0, 2.0])
    ours_pair = best(lambda: bayes_optimal("rademacher", "sign", pair), rounds * 4) / pair.size
    below = np.array([1.0, 1.4])  # below alpha_alg: the uninformative fixed point is interior (V > 0)
    t = time.perf_counter()
    low = solve_quad("rademacher", below, 1.0)
    quad_r = (time.perf_counter() - t) / below.size
    error = np.max(np.abs(bayes_optimal("rademacher", "sign", below, init="uninformative").m - low))
    print(
        f"Rademacher-sign, 20 alphas: {ours_r * 1e6:.1f} us/point; alpha = 1, 2: {ours_pair * 1e6:.1f} us/point "
        f"| quad {quad_r * 1e3:.1f} ms | {TARGET_RADEMACHER / ours_r:.2f}x the 0.1 ms target, {quad_r / ours_pair:.0f}x "
        f"quad | max |m - m_quad| = {error:.1e}"
    )
    # 3. per-point cost against the array size
    many = np.linspace(0.1, 10.0, 10_000)
    big = best(lambda: bayes_optimal("gaussian", "sign", many), 2) / many.size
    print(f"Gaussian-sign per point: 20 alphas {ours * 1e6:.1f} us, 10^4 alphas {big * 1e6:.2f} us | {ours / big:.1f}x")
    # 4. equilibrium solves one branch where the fixed point is unique
    equilibrium = best(lambda: bayes_optimal("gaussian", "sign", curve), rounds * 4)
    one = best(lambda: bayes_optimal("gaussian", "sign", curve, init="uninformative"), rounds * 4)
    print(f"Gaussian-sign equilibrium / one branch: {equilibrium / one:.2f}x (was 2.1x; one branch, by secant steps)")
    # 5. thresholds
    th = best(lambda: thresholds("rademacher", "sign"), rounds)
    found = thresholds("rademacher", "sign")
    print(
        f"thresholds('rademacher', 'sign'): {th * 1e3:.0f} ms (target < 500 ms) | alpha_it = {found.alpha_it:.6f}, "
        f"alpha_alg = {found.alpha_alg:.6f}"
    )
    # 6. phase diagram, 100 x 100
    alphas, deltas = np.linspace(0.02, 2.0, 100), np.logspace(-5, 0, 100)
    for prior, label in ((RademacherPrior(), "rademacher"), (GaussBernoulliPrior(0.2), "gauss-bernoulli rho=0.2")):
        t = time.perf_counter()
        diagram = phase_diagram(prior, "gaussian", alphas, deltas)
        pd = time.perf_counter() - t
        print(
            f"phase_diagram({label}, gaussian, 100 x 100): {pd:.2f} s (target < 10 s) | converged "
            f"{diagram.converged.mean():.3f}, thresholds found on {diagram.thresholds_converged.mean():.2f} of the rows"
        )


if __name__ == "__main__":
    main()
