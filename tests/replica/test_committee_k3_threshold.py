"""K = 3 specialisation transitions (statlearn.replica.committee.specialization_threshold): the Rademacher
crossing against an independent bisection of the free entropy, the Gaussian crossing against the sign change of
the free-entropy difference of the two branches and the instability against lambda = 1. The K = 3 calls take
minutes: they are marked ``slow`` (run with ``pytest -m slow``)."""

from __future__ import annotations

import math
import warnings

import pytest

from statlearn.numerics import ConvergenceWarning
from statlearn.replica import committee


@pytest.mark.parametrize("xtol", [0.0, -1e-3, 0.5, float("nan")])
def test_bad_xtol_raises_before_solving(xtol: float) -> None:
    with pytest.raises(ValueError, match="xtol"):
        committee.specialization_threshold(3, "gaussian", xtol=xtol)


@pytest.mark.parametrize("K", [1, 4])
def test_other_K_raise(K: int) -> None:
    with pytest.raises(ValueError, match="K"):
        committee.specialization_threshold(K, "gaussian")


@pytest.mark.slow
def test_rademacher_k3_crossing_matches_bisection() -> None:
    th = committee.specialization_threshold(3, "rademacher")
    assert th.converged and th.order == "first" and th.alpha_alg is None and math.isnan(th.alpha_instability)

    def gap(a: float) -> float:  # f_non-spec + 3 ln 2: positive below the transition
        return committee.bayes_optimal(3, a, prior="rademacher", tol=1e-12).free_entropy + 3.0 * math.log(2.0)

    lo, hi = 3.5, 4.0
    assert gap(lo) > 0.0 > gap(hi)
    while hi - lo > 2e-3:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gap(mid) > 0.0 else (lo, mid)
    assert abs(th.alpha_spec - 0.5 * (lo + hi)) < 1e-3 + 1e-3  # both to within their bracket widths


@pytest.mark.slow
def test_gaussian_k3_first_order_transition() -> None:
    th = committee.specialization_threshold(3, "gaussian")
    assert th.converged and th.order == "first"
    assert th.alpha_alg == th.alpha_instability and th.alpha_spec < th.alpha_instability
    start = committee.bayes_optimal(3, 13.0, init="specialised")
    assert start.branch == "specialised"
    signs = []
    for a in (th.alpha_spec - 0.05, th.alpha_spec + 0.05):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            spec = committee.bayes_optimal(3, a, init=start.overlap)
            assert spec.branch == "specialised"
            signs.append(spec.free_entropy - committee.bayes_optimal(3, a).free_entropy)
    assert signs[0] < 0.0 < signs[1]
    below = committee.stability(3, "gaussian", th.alpha_instability - 0.05)[0]
    above = committee.stability(3, "gaussian", th.alpha_instability + 0.05)[0]
    assert below < 1.0 < above
