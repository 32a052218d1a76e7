"""Bad-input audit of the committee-machine replica entry points (statlearn.replica.committee)."""

from __future__ import annotations

import math

import numpy as np

from statlearn.replica import committee

BAD_SCALARS = [-1.0, math.nan, math.inf, -math.inf, "x", None, [0.5, 0.6], 1e300, True]


def test_committee_entry_points_reject_bad_input(audit) -> None:
    for value in BAD_SCALARS:
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 2, value, names=["alpha"])
        audit.call("committee.bayes_optimal", committee.bayes_optimal, value, 1.0, names=["K"])
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 2, 1.0, prior=value, names=["prior"])
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 2, 1.0, init=value, names=["init"])
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 2, 1.0, tol=value, names=["tol"])
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 2, 1.0, max_iter=value, names=["max_iter"])
        audit.call("committee.specialization_threshold", committee.specialization_threshold, value, names=["K"])
        audit.call("committee.specialization_threshold", committee.specialization_threshold, 2, value, names=["prior"])
        audit.call(
            "committee.specialization_threshold", committee.specialization_threshold, 2, xtol=value, names=["xtol"]
        )
        audit.call("committee.stability", committee.stability, 2, "gaussian", value, names=["alpha"])
        audit.call("committee.committee_channel", committee.committee_channel, 2, value, names=["q_parallel"])
        audit.call("committee.committee_channel", committee.committee_channel, 2, 0.3, value, names=["q_perp"])
        audit.call("committee.committee_prior", committee.committee_prior, 2, "gaussian", value, names=["r_parallel"])
        audit.call(
            "committee.committee_prior", committee.committee_prior, 2, "rademacher", 1.0, value, names=["r_perp"]
        )
        audit.call("committee.symmetric_overlap", committee.symmetric_overlap, 2, value, 0.1, names=["q_parallel"])
    for init in [np.eye(3) * 0.5, np.array([[0.5, 0.1], [0.2, 0.5]]), np.eye(2) * 2.0, -np.eye(2), np.array([])]:
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 2, 1.0, init=init, names=["init"])
    for value in BAD_SCALARS:  # K = 3
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 3, value, names=["alpha"])
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 3, 1.0, prior=value, names=["prior"])
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 3, 1.0, init=value, names=["init"])
        audit.call("committee.stability", committee.stability, 3, "gaussian", value, names=["alpha"])
        audit.call("committee.committee_channel", committee.committee_channel, 3, value, names=["q_parallel"])
        audit.call("committee.committee_channel", committee.committee_channel, 3, 0.3, value, names=["q_perp"])
        audit.call("committee.committee_prior", committee.committee_prior, 3, "rademacher", value, names=["r_parallel"])
    for init in [np.eye(2) * 0.5, np.eye(4) * 0.5, np.eye(3) * 2.0, -np.eye(3)]:
        audit.call("committee.bayes_optimal", committee.bayes_optimal, 3, 1.0, init=init, names=["init"])
    for K in (0, 1, 4):
        audit.call("committee.specialization_threshold", committee.specialization_threshold, K, names=["K"])
    audit.call("committee.bayes_optimal", committee.bayes_optimal, 2, 2.5, init="specialised", max_iter=1)
