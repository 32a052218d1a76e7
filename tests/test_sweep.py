"""Tests for statlearn.sweep: grid order, executors, checkpoint resume, validation."""

from __future__ import annotations

import functools
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from statlearn.sweep import grid_points, sweep, write_csv


# Functions run on worker processes must be importable, hence at module level.
def energy(alpha, seed):
    rng = np.random.default_rng(seed)
    return {"energy": np.float64(alpha * rng.standard_normal()), "curve": np.arange(3) * alpha}


def logged(x, log, fail_at=None):
    """Append x to the call log, fail at x == fail_at, else return x squared."""
    with open(log, "a") as f:
        f.write(f"{x}\n")
    if x == fail_at:
        raise ArithmeticError(f"planned failure at {x}")
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
    assert header == {"function": f"{__name__}.energy"}
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


def test_corrupt_line_before_the_end_is_an_error(tmp_path):
    checkpoint = tmp_path / "ckpt.jsonl"
    sweep(scalar, {"x": [1, 2]}, "serial", checkpoint, progress=False)
    lines = checkpoint.read_text().splitlines()
    checkpoint.write_text("\n".join([lines[0], "{garbage", lines[2]]) + "\n")
    with pytest.raises(ValueError, match="line 2"):
        sweep(scalar, {"x": [1, 2]}, "serial", checkpoint, progress=False)


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
