"""Test-session settings shared by every folder.

The bad-input audit of ``tests/fuzz`` reports its counts here, summed over pytest-xdist workers.

Under CI (the ``CI`` environment variable set) hypothesis runs derandomized: the same examples on every run,
so a submission is judged on the code, not on the draw. A developer's run explores new examples each time
and keeps the failures it finds in ``.hypothesis/``.
"""

import importlib.util
import os
from typing import Any

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_configure(config: Any) -> None:
    config.bad_input_audits = []  # (entry points, inputs, rejected) of tests/fuzz, one per process


if importlib.util.find_spec("xdist") is not None:  # the hook exists only with the plugin

    def pytest_testnodedown(node: Any, error: Any) -> None:
        counts = getattr(node, "workeroutput", {}).get("audit")
        if counts is not None:
            node.config.bad_input_audits.append(counts)


def pytest_terminal_summary(terminalreporter: Any, config: Any) -> None:
    audits = config.bad_input_audits
    inputs = sum(a[1] for a in audits)
    if inputs:
        entry_points = set().union(*(a[0] for a in audits))
        rejected = sum(a[2] for a in audits)
        terminalreporter.write_line(
            f"bad-input audit: {len(entry_points)} entry points, {inputs} inputs, "
            f"{rejected} rejected with ValueError/TypeError"
        )
