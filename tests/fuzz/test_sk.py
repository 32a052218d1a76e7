"""Bad-input audit of the SK replica entry points (statlearn.replica.sk)."""

from __future__ import annotations

import math

import numpy as np

from statlearn.replica import sk

BAD_SCALARS = [0.0, -1.0, math.nan, math.inf, -math.inf, "x", None, [0.5, 0.6], 1e-300, True]


def test_sk_entry_points_reject_bad_input(audit) -> None:
    for value in BAD_SCALARS:
        audit.call("sk.replica_symmetric", sk.replica_symmetric, value, names=["T"])
        audit.call("sk.rsb", sk.rsb, value, names=["T"])
        audit.call("sk.rsb", sk.rsb, 0.5, steps=value, names=["steps"])
        if value is not None:  # steps=None is the (slow) full-RSB solver
            audit.call("sk.ground_state_energy", sk.ground_state_energy, steps=value, names=["steps"])
    for value in [math.nan, math.inf, "x", None, [0.1, math.nan], np.array([]), 50.0]:
        audit.call("sk.at_line", sk.at_line, value, names=["h"])
        audit.call("sk.replica_symmetric", sk.replica_symmetric, 0.5, h=value, names=["h"])
