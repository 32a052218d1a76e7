"""``statlearn reproduce`` called in a process that has already loaded numpy and numba."""

import os
import uuid

from statlearn.cli import main
from statlearn.cli.reproduce import THREADS
from statlearn.reproductions.registry import REGISTRY, Check, ReproductionResult, register


def passing_run(settings, out_dir, executor):
    return ReproductionResult((), (), (Check("zero", 0.0, 0.0, 0.0, 0.0),))


def test_an_in_process_run_leaves_the_thread_settings_of_loaded_libraries_alone(tmp_path, monkeypatch):
    import numba  # noqa: F401 - loaded, as in a test session or a notebook: its threads may be running

    for name in THREADS:
        monkeypatch.delenv(name, raising=False)
    fake = f"test-threads-{uuid.uuid4().hex[:8]}"
    register(fake, "Passes", quick={}, full={})(passing_run)
    try:
        assert main(["reproduce", fake, "--out", str(tmp_path)]) == 0
    finally:
        REGISTRY.pop(fake)
    assert [name for name in THREADS if name in os.environ] == []  # numba refuses a new value once started
