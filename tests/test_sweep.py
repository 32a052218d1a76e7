"""Tests for statlearn.sweep: grid order, executors, checkpoint resume, validation."""

from __future__ import annotations

import errno
import functools
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import statlearn.sweep as sweep_module
import statlearn.tables as tables_module
from statlearn.sweep import CheckpointWarning, SweepInterrupted, code_fingerprint, grid_points, sweep, write_csv


# Functions run on worker processes must be importable, hence at module level.
def energy(alpha, seed):
    rng = np.random.default_rng(seed)
    return {"energy": np.float64(alpha * rng.standard_normal()), "curve": np.arange(3) * alpha}


def logged(x, log, fail_at=None, interrupt_at=None):
    """Append x to the call log, fail at x == fail_at, Ctrl-C at interrupt_at, else return x squared."""
    with open(log, "a") as f:
        f.write(f"{x}\n")
    if x == fail_at:
        raise ArithmeticError(f"planned failure at {x}")
    if x == interrupt_at:
        raise KeyboardInterrupt
    return {"square": x * x}


def unserialisable(x):
    return {"value": object()}


def scalar(x):
    return np.float32(x) / 2


@dataclass(frozen=True)
class State:
    alpha: float
    overlap: float


def state(alpha):
    return State(alpha=alpha, overlap=alpha / 2)


def calls(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


GRID = {"alpha": np.linspace(0.5, 2.0, 4), "seed": range(3)}


def serial_loop():
    rows = [{"alpha": a, "seed": s, **energy(a, s)} for a, s in itertools.product(GRID["alpha"], GRID["seed"])]
    return {name: np.array([row[name] for row in rows]) for name in rows[0]}


def assert_tables_equal(table, expected):
    assert list(table) == list(expected)
    for name in expected:
        np.testing.assert_array_equal(table[name], expected[name])


@pytest.mark.parametrize("executor", ["serial", 2], ids=["serial", "processes"])
def test_results_equal_a_serial_loop_in_grid_order(executor):
    table = sweep(energy, GRID, executor=executor, progress=False)
    assert_tables_equal(table, serial_loop())
    assert table["curve"].shape == (12, 3)


def test_any_executor_is_used_and_left_open():
    with ThreadPoolExecutor(2) as pool:
        assert_tables_equal(sweep(energy, GRID, executor=pool, progress=False), serial_loop())
        assert pool.submit(int, "3").result() == 3


def test_default_executor_is_a_local_process_pool():
    assert_tables_equal(sweep(energy, GRID, progress=False), serial_loop())


def test_explicit_points_keep_their_order():
    points = [{"alpha": 2.0, "seed": 1}, {"alpha": 0.5, "seed": 0}]
    table = sweep(energy, points, executor="serial", progress=False)
    np.testing.assert_array_equal(table["alpha"], [2.0, 0.5])
    assert table["energy"][0] == energy(2.0, 1)["energy"]


def test_single_value_results_and_dataclasses_become_columns():
    table = sweep(scalar, {"x": [1, 2]}, executor="serial", progress=False)
    assert list(table) == ["x", "result"]
    np.testing.assert_array_equal(table["result"], [0.5, 1.0])
    table = sweep(state, {"alpha": [1.0, 3.0]}, executor="serial", progress=False)
    assert list(table) == ["alpha", "overlap"]
    np.testing.assert_array_equal(table["overlap"], [0.5, 1.5])


def test_resume_after_failure_recomputes_no_finished_point(tmp_path):
    log, checkpoint = tmp_path / "calls.txt", tmp_path / "ckpt.jsonl"
    grid = {"x": range(6)}
    with pytest.raises(RuntimeError, match="x': 3") as info:
        sweep(functools.partial(logged, log=log, fail_at=3), grid, "serial", checkpoint, progress=False)
    assert isinstance(info.value.__cause__, ArithmeticError)
    assert calls(log) == [0, 1, 2, 3]

    table = sweep(functools.partial(logged, log=log), grid, "serial", checkpoint, progress=False)
    assert calls(log) == [0, 1, 2, 3, 3, 4, 5]
    np.testing.assert_array_equal(table["square"], [0, 1, 4, 9, 16, 25])

    sweep(functools.partial(logged, log=log), grid, "serial", checkpoint, progress=False)
    assert len(calls(log)) == 7  # a finished sweep computes nothing


def test_resume_on_a_process_pool_keeps_every_saved_point(tmp_path):
    log, checkpoint = tmp_path / "calls.txt", tmp_path / "ckpt.jsonl"
    grid = {"x": range(10)}
    with pytest.raises(RuntimeError):
        sweep(functools.partial(logged, log=log, fail_at=4), grid, 2, checkpoint, progress=False)
    lines = checkpoint.read_text().splitlines()
    saved = {json.loads(line)["point"]["x"] for line in lines[1:]}
    assert 4 not in saved and {0, 1, 2, 3} <= saved

    table = sweep(functools.partial(logged, log=log), grid, 2, checkpoint, progress=False)
    np.testing.assert_array_equal(table["square"], np.arange(10) ** 2)
    counts = np.bincount(calls(log), minlength=10)
    assert all(counts[x] == 1 for x in saved)
    assert set(calls(log)) == set(range(10))


def test_torn_last_line_is_dropped_and_recomputed(tmp_path):
    log, checkpoint = tmp_path / "calls.txt", tmp_path / "ckpt.jsonl"
    func = functools.partial(logged, log=log)
    sweep(func, {"x": range(4)}, "serial", checkpoint, progress=False)
    checkpoint.write_bytes(checkpoint.read_bytes()[:-7])  # crash in the middle of the last write

    table = sweep(func, {"x": range(4)}, "serial", checkpoint, progress=False)
    assert calls(log) == [0, 1, 2, 3, 3]
    np.testing.assert_array_equal(table["square"], [0, 1, 4, 9])
    assert all(json.loads(line) for line in checkpoint.read_text().splitlines())


def test_checkpoint_lines_are_point_result_records(tmp_path):
    checkpoint = tmp_path / "ckpt.jsonl"
    sweep(energy, {"alpha": [1.0], "seed": [7]}, "serial", checkpoint, progress=False)
    header, record = (json.loads(line) for line in checkpoint.read_text().splitlines())
    assert header["function"] == f"{__name__}.energy"
    assert header.keys() == {"function", "version", "code"}
    assert record["point"] == {"alpha": 1.0, "seed": 7}
    assert record["result"] == {"energy": energy(1.0, 7)["energy"], "curve": [0.0, 1.0, 2.0]}


def test_extended_grid_reuses_points_and_unknown_points_warn(tmp_path):
    log, checkpoint = tmp_path / "calls.txt", tmp_path / "ckpt.jsonl"
    func = functools.partial(logged, log=log)
    sweep(func, {"x": [0, 1, 2]}, "serial", checkpoint, progress=False)
    with pytest.warns(UserWarning, match=r"1 point\(s\) not in this grid"):
        table = sweep(func, {"x": [1, 2, 3]}, "serial", checkpoint, progress=False)
    assert calls(log) == [0, 1, 2, 3]
    np.testing.assert_array_equal(table["square"], [1, 4, 9])


def test_checkpoint_of_another_function_is_refused(tmp_path):
    checkpoint = tmp_path / "ckpt.jsonl"
    sweep(scalar, {"x": [1]}, "serial", checkpoint, progress=False)
    with pytest.raises(ValueError, match="written for .*scalar"):
        sweep(functools.partial(logged, log=tmp_path / "l"), {"x": [1]}, "serial", checkpoint, progress=False)


def test_corrupt_middle_line_is_dropped_with_a_warning_and_only_its_point_recomputed(tmp_path):
    log, checkpoint = tmp_path / "calls.txt", tmp_path / "ckpt.jsonl"
    func = functools.partial(logged, log=log)
    sweep(func, {"x": range(4)}, "serial", checkpoint, progress=False)
    lines = checkpoint.read_text().splitlines()
    lines[2] = lines[2][:9] + "\x00garbage"  # the record of x = 1
    checkpoint.write_text("\n".join(lines) + "\n")
    with pytest.warns(CheckpointWarning, match=r"ckpt.jsonl: line\(s\) 3 corrupt"):
        table = sweep(func, {"x": range(4)}, "serial", checkpoint, progress=False)
    assert calls(log) == [0, 1, 2, 3, 1]
    np.testing.assert_array_equal(table["square"], [0, 1, 4, 9])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the file was repaired: no warning, nothing recomputed
        sweep(func, {"x": range(4)}, "serial", checkpoint, progress=False)
    assert len(calls(log)) == 5


@pytest.mark.parametrize("header", ["{garbage", '["not", "a", "header"]', '{"point": {"x": 1}, "result": 1}'])
def test_a_file_without_a_header_is_refused_untouched(tmp_path, header):
    checkpoint = tmp_path / "notes.jsonl"
    checkpoint.write_text(header + "\n")
    with pytest.raises(ValueError, match="not a sweep checkpoint"):
        sweep(scalar, {"x": [1]}, "serial", checkpoint, progress=False)
    assert checkpoint.read_text() == header + "\n"


@pytest.mark.parametrize("field", ["version", "code"])
def test_checkpoint_of_other_code_is_ignored_with_a_warning_and_recomputed(tmp_path, field):
    log, checkpoint = tmp_path / "calls.txt", tmp_path / "ckpt.jsonl"
    func = functools.partial(logged, log=log)
    sweep(func, {"x": range(3)}, "serial", checkpoint, progress=False)
    lines = checkpoint.read_text().splitlines()
    header = json.loads(lines[0])
    header[field] = "other"
    checkpoint.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    with pytest.warns(CheckpointWarning, match=r"written by other code.*3 point\(s\) are ignored"):
        sweep(func, {"x": range(3)}, "serial", checkpoint, progress=False)
    assert calls(log) == [0, 1, 2, 0, 1, 2]
    assert json.loads(checkpoint.read_text().splitlines()[0])[field] != "other"


def test_a_checkpoint_without_fingerprint_is_stale(tmp_path):
    checkpoint = tmp_path / "ckpt.jsonl"  # the format before fingerprints
    checkpoint.write_text(json.dumps({"function": f"{__name__}.scalar"}) + '\n{"point": {"x": 1}, "result": 99}\n')
    with pytest.warns(CheckpointWarning, match="other code"):
        table = sweep(scalar, {"x": [1]}, "serial", checkpoint, progress=False)
    assert table["result"][0] == 0.5


def test_fingerprint_follows_the_code_of_the_function_module(tmp_path, monkeypatch):
    assert code_fingerprint(scalar) == code_fingerprint(functools.partial(logged, log="x"))
    module = tmp_path / "pointfunc.py"
    module.write_text("def f(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import pointfunc

    before = code_fingerprint(pointfunc.f)
    module.write_text("def f(x):\n    return 2 * x\n")
    assert code_fingerprint(pointfunc.f) != before


def disk_full_after(monkeypatch, n_writes, written=None):
    """Make the n-th and later os.write calls of statlearn.sweep write half, then fail with ENOSPC."""
    real, count = os.write, itertools.count(1)

    def write(fd, data):
        if next(count) < n_writes:
            return real(fd, data)
        real(fd, bytes(data[: len(data) // 2]))  # a torn record reaches the disk first
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sweep_module.os, "write", write)


def test_full_disk_is_one_clean_error_and_loses_nothing_saved(tmp_path, monkeypatch):
    log, checkpoint = tmp_path / "calls.txt", tmp_path / "ckpt.jsonl"
    func = functools.partial(logged, log=log)
    disk_full_after(monkeypatch, 4)
    with pytest.raises(OSError, match=r"^\[Errno 28\] cannot write checkpoint .*ckpt.jsonl: No space left") as info:
        sweep(func, {"x": range(6)}, "serial", checkpoint, progress=False)
    assert info.value.errno == errno.ENOSPC and "\n" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    monkeypatch.undo()
    lines = checkpoint.read_text().splitlines()  # header + 3 points, no torn fourth record
    assert len(lines) == 4 and all(json.loads(line) for line in lines)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = sweep(func, {"x": range(6)}, "serial", checkpoint, progress=False)
    assert calls(log) == [0, 1, 2, 3, 3, 4, 5]
    np.testing.assert_array_equal(table["square"], [0, 1, 4, 9, 16, 25])


def test_ctrl_c_says_how_many_points_are_saved_and_the_rerun_resumes(tmp_path):
    log, checkpoint = tmp_path / "calls.txt", tmp_path / "ckpt.jsonl"
    with pytest.raises(SweepInterrupted, match=r"interrupted, 3 of 6 points saved in .*ckpt.jsonl, rerun") as info:
        sweep(functools.partial(logged, log=log, interrupt_at=3), {"x": range(6)}, "serial", checkpoint, progress=False)
    assert isinstance(info.value, KeyboardInterrupt)
    assert (info.value.saved, info.value.total) == (3, 6)
    table = sweep(functools.partial(logged, log=log), {"x": range(6)}, "serial", checkpoint, progress=False)
    assert calls(log) == [0, 1, 2, 3, 3, 4, 5]
    np.testing.assert_array_equal(table["square"], [0, 1, 4, 9, 16, 25])


def test_ctrl_c_without_checkpoint_says_nothing_is_saved():
    with pytest.raises(SweepInterrupted, match=r"after 0 of 2 points \(no checkpoint, nothing saved\)"):
        sweep(functools.partial(logged, log=os.devnull, interrupt_at=0), {"x": [0, 1]}, "serial", progress=False)


POOL_SCRIPT = """
import os, signal, sys, time
from statlearn.sweep import sweep

def sleepy(x, folder):
    open(os.path.join(folder, f"worker-{os.getpid()}"), "w").close()
    time.sleep(60)
    return x

def stop(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGTERM, stop)
import functools
try:
    sweep(functools.partial(sleepy, folder=sys.argv[1]), {"x": [0, 1, 2, 3]}, 2, progress=False)
except KeyboardInterrupt as exc:
    print(exc)
    sys.exit(130)
"""


def worker_pids(folder, n, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [int(p.name.split("-")[1]) for p in Path(folder).glob("worker-*")]
        if len(pids) >= n:
            return pids
        time.sleep(0.05)
    raise AssertionError("the workers did not start")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as dead
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_dead(pids, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and PR_SET_PDEATHSIG")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_workers_do_not_outlive_an_interrupted_or_killed_sweep(tmp_path, how):
    process = subprocess.Popen([sys.executable, "-c", POOL_SCRIPT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        pids = worker_pids(tmp_path, 2)
        process.send_signal(how)
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert wait_dead(pids) == []
    if how != signal.SIGKILL:
        assert process.returncode == 130
        assert "interrupted after 0 of 4 points" in out


@pytest.mark.parametrize("executor", ["serial", 2])
def test_non_serialisable_result_is_a_type_error_naming_the_point(executor):
    with pytest.raises(TypeError, match=r"point \{'x': 1\}.*object"):
        sweep(unserialisable, {"x": [1]}, executor, progress=False)


@pytest.mark.parametrize(
    "grid, error, match",
    [
        ({}, ValueError, "no parameters"),
        ([], ValueError, "no points"),
        ({"x": []}, ValueError, r"grid\['x'\] is empty"),
        ({"x": np.zeros((2, 2))}, ValueError, "one-dimensional"),
        ({"x": [1, 1]}, ValueError, "more than once"),
        ([{"x": 1}, {"y": 2}], ValueError, "same parameter names"),
        ({"x": 1.0}, TypeError, r"grid\['x'\] must be a sequence"),
        ({"x": "abc"}, TypeError, r"grid\['x'\] must be a sequence"),
        ({"x": [object()]}, TypeError, "not JSON-serialisable"),
        ([1, 2], TypeError, r"grid\[0\]"),
        (5, TypeError, "grid must be"),
    ],
)
def test_bad_grid(grid, error, match):
    with pytest.raises(error, match=match):
        sweep(scalar, grid, "serial", progress=False)


@pytest.mark.parametrize("executor, error", [(0, ValueError), ("threads", ValueError), (2.5, TypeError)])
def test_bad_executor(executor, error):
    with pytest.raises(error, match="executor"):
        sweep(scalar, {"x": [1]}, executor, progress=False)


def test_result_contradicting_a_parameter_is_an_error():
    with pytest.raises(ValueError, match="contradicts the parameter x"):
        sweep(lambda x: {"x": x + 1}, {"x": [1]}, "serial", progress=False)
    table = sweep(lambda x: {"x": x, "y": 0}, {"x": [1]}, "serial", progress=False)
    assert list(table) == ["x", "y"]


def test_grid_points_order_and_numpy_conversion():
    points = grid_points({"a": np.array([1, 2]), "b": ["u", "v"]})
    assert points == [{"a": 1, "b": "u"}, {"a": 1, "b": "v"}, {"a": 2, "b": "u"}, {"a": 2, "b": "v"}]
    assert type(points[0]["a"]) is int


def test_write_csv_round_trip(tmp_path):
    table = sweep(scalar, {"x": [1, 2, 3]}, "serial", progress=False)
    path = write_csv(table, tmp_path / "sub" / "t.csv")
    assert path.read_text().splitlines() == ["x,result", "1,0.5", "2,1.0", "3,1.5"]
    with pytest.raises(ValueError, match="'curve' must be one-dimensional"):
        write_csv(sweep(energy, {"alpha": [1.0], "seed": [0]}, "serial", progress=False), tmp_path / "u.csv")


def test_dask_executor_gives_the_same_results():
    distributed = pytest.importorskip("distributed")
    from statlearn.sweep import dask_executor

    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        executor = dask_executor(cluster.scheduler_address)
        try:
            assert_tables_equal(sweep(energy, GRID, executor, progress=False), serial_loop())
        finally:
            executor.shutdown()
        with pytest.raises(ValueError, match="No clients"):  # shutdown closed the client
            distributed.default_client()


def test_progress_bar_counts_points_resumed_from_the_checkpoint(tmp_path, capsys):
    checkpoint = tmp_path / "ckpt.jsonl"
    sweep(scalar, {"x": [1, 2]}, "serial", checkpoint, progress=False)
    sweep(scalar, {"x": [1, 2, 3]}, "serial", checkpoint, desc="alpha sweep")
    err = capsys.readouterr().err
    assert "alpha sweep" in err and "2/3" in err and "3/3" in err


def test_tqdm_disable_set_after_tqdm_was_imported_hides_the_bar(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")  # as the runner does in its workers, after the import
    sweep(scalar, {"x": [1, 2]}, "serial", desc="alpha sweep")
    assert "alpha sweep" not in capsys.readouterr().err


def test_write_csv_on_a_full_disk_keeps_the_previous_file(tmp_path, monkeypatch):
    path = write_csv({"alpha": [1.0, 2.0]}, tmp_path / "t.csv")
    before = path.read_text()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    class Writer:  # writes the header, then the disk is full
        def __init__(self, f):
            self.f = f

        def writerow(self, row):
            self.f.write(",".join(row) + "\n")

        writerows = staticmethod(full)

    monkeypatch.setattr(tables_module.csv, "writer", Writer)
    with pytest.raises(OSError, match="No space left"):
        write_csv({"alpha": [3.0, 4.0]}, path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
