"""Bad-input audit of the committee AMP and its K-dimensional denoisers (statlearn.amp.committee,
statlearn.models.committee) and of the state-evolution trajectory."""

from __future__ import annotations

import numpy as np

from statlearn.amp import committee_amp, matched_overlap
from statlearn.models.committee import committee_denoise, committee_labels, committee_output, committee_teacher
from statlearn.replica.committee import state_evolution_trajectory

from .conftest import BAD_INPUTS


def test_committee_amp_entry_points_reject_bad_input(audit) -> None:
    data = committee_teacher(2, 20, 2.0, seed=0)
    F, y = data.F, data.y
    omega = np.zeros((4, 2))
    labels = np.array([1.0, 0.0, -1.0, 1.0])
    for bad in BAD_INPUTS:
        audit.call("committee_teacher", committee_teacher, bad, 20, 2.0, seed=0, names=["K"])
        audit.call("committee_teacher", committee_teacher, 2, bad, 2.0, seed=0, names=["N"])
        audit.call("committee_teacher", committee_teacher, 2, 20, bad, seed=0, names=["alpha"])
        audit.call("committee_teacher", committee_teacher, 2, 20, 2.0, prior=bad, seed=0, names=["prior"])
        audit.call("committee_teacher", committee_teacher, 2, 20, 2.0, seed=bad, names=["seed"])
        audit.call("committee_output", committee_output, bad, omega, np.eye(2), names=["y"])
        audit.call("committee_output", committee_output, labels, bad, np.eye(2), names=["omega"])
        audit.call("committee_output", committee_output, labels, omega, bad, names=["V"])
        audit.call("committee_denoise", committee_denoise, bad, omega, np.eye(2), names=["prior"])
        audit.call("committee_denoise", committee_denoise, "gaussian", bad, np.eye(2), names=["B"])
        audit.call("committee_denoise", committee_denoise, "rademacher", omega, bad, names=["A"])
        audit.call("committee_labels", committee_labels, bad, names=["z"])
        audit.call("matched_overlap", matched_overlap, bad, data.teacher, names=["W", "teacher"])
        audit.call("committee_amp", committee_amp, bad, y, 2, max_iter=3, names=["F"])
        audit.call("committee_amp", committee_amp, F, bad, 2, max_iter=3, names=["y"])
        audit.call("committee_amp", committee_amp, F, y, bad, max_iter=3, names=["K"])
        audit.call("committee_amp", committee_amp, F, y, 2, prior=bad, max_iter=3, names=["prior"])
        audit.call("committee_amp", committee_amp, F, y, 2, max_iter=bad, names=["max_iter"])
        audit.call("committee_amp", committee_amp, F, y, 2, max_iter=3, tol=bad, names=["tol"])
        audit.call("committee_amp", committee_amp, F, y, 2, max_iter=3, damping=bad, names=["damping"])
        audit.call("committee_amp", committee_amp, F, y, 2, max_iter=3, init=bad, names=["init", "seed"])
        audit.call("committee_amp", committee_amp, F, y, 2, max_iter=3, teacher=bad, names=["teacher"])
        audit.call("committee_amp", committee_amp, F, y, 2, max_iter=3, init="random", seed=bad, names=["seed"])
        audit.call("state_evolution_trajectory", state_evolution_trajectory, 2, bad, steps=2, names=["alpha"])
        audit.call("state_evolution_trajectory", state_evolution_trajectory, 2, 1.0, steps=bad, names=["steps"])
        audit.call("state_evolution_trajectory", state_evolution_trajectory, 2, 1.0, q_perp=bad, names=["q_perp"])
    # labels outside the channel's alphabet, non-positive-definite covariances, a K the denoisers do not have
    audit.call("committee_output", committee_output, np.array([2.0, 0, 0, 0]), omega, np.eye(2), names=["y"])
    audit.call("committee_output", committee_output, labels, omega, np.array([[1.0, 2.0], [2.0, 1.0]]), names=["V"])
    audit.call("committee_output", committee_output, labels, np.zeros((4, 3)), np.eye(3), names=["omega"])
    audit.call("committee_denoise", committee_denoise, "gaussian", omega, -3 * np.eye(2), names=["A"])
    audit.call("committee_amp", committee_amp, F, np.full(len(y), 0.5), 2, max_iter=3, names=["y"])
    audit.call("committee_amp", committee_amp, F, y, 1, max_iter=3, names=["y"])
    audit.call("committee_amp", committee_amp, F, y, 2, max_iter=3, init="informative", names=["teacher"])
