"""Bad-input audit of the finite-temperature full-RSB solver statlearn.replica.sk.parisi."""

from __future__ import annotations

import math

from statlearn.replica import sk


def test_parisi_rejects_bad_input(audit) -> None:
    for value in [0.0, -1.0, 0.01, math.nan, math.inf, -math.inf, "x", None, [0.5, 0.6], 1e-300, True]:
        audit.call("sk.parisi", sk.parisi, value, names=["T"])
    for value in [math.nan, math.inf, -math.inf, "x", None, [0.1, 0.2], 50.0]:
        audit.call("sk.parisi", sk.parisi, 0.5, h=value, names=["h"])
    for value in [0, 1, -3, 2.5, "x", None, True, 10**9, math.nan]:
        audit.call("sk.parisi", sk.parisi, 0.5, intervals=value, names=["intervals"])
