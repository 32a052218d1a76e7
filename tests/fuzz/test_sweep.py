"""Bad-input audit of the sweep machinery and the reproduction registry and runner: malformed grids,
executors, paths and names, and truncated or corrupt checkpoint lines (which must cost exactly the
points they held, never a crash or a wrong table)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statlearn.reproductions import Check, catalogue, get, names, register
from statlearn.reproductions.registry import REGISTRY
from statlearn.reproductions.runner import run_reproductions
from statlearn.sweep import CheckpointWarning, code_fingerprint, dask_executor, grid_points, process_pool, sweep
from statlearn.tables import write_csv

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def square(x, **other):
    return {"square": x * x}


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.binary(max_size=3),
    st.just(object()),
    st.just(np.float64("nan")),
    st.just(np.arange(3)),
    st.just(np.zeros((2, 2))),
    st.just(np.array(1.5)),
    st.just({1, 2}),
    st.just(range(0)),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=6,
)
keys = st.one_of(st.text(max_size=3), st.integers(-2, 2), st.none(), st.just(("a",)))
mapping_grids = st.dictionaries(keys, values, max_size=3)
point_grids = st.lists(st.one_of(st.dictionaries(keys, scalars, max_size=2), scalars), max_size=3)
grids = st.one_of(mapping_grids, point_grids, scalars, st.text(max_size=3))


@SETTINGS
@given(grid=grids)
def test_grid_points_and_sweep_reject_malformed_grids_in_one_line(audit, grid):
    points = audit.call("sweep.grid_points", grid_points, grid, names=("grid",))
    if isinstance(points, (ValueError, TypeError)):
        error = audit.call("sweep.sweep", sweep, square, grid, "serial", progress=False, names=("grid",))
        assert type(error) is type(points) and str(error) == str(points)
    else:
        assert all(isinstance(point, dict) for point in points)
        assert len({json.dumps(p, sort_keys=True) for p in points}) == len(points)


@SETTINGS
@given(
    executor=st.one_of(
        st.integers(-3, 0), st.floats(), st.text(max_size=6), st.booleans(), st.just(object()), st.just([2])
    )
)
def test_sweep_rejects_bad_executors(audit, executor):
    if executor == "serial":
        return
    error = audit.call("sweep.sweep", sweep, square, {"x": [1]}, executor, progress=False, names=("executor",))
    assert isinstance(error, (ValueError, TypeError))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"progress": "yes"}, "progress"),
        ({"progress": None}, "progress"),
        ({"desc": 3}, "desc"),
        ({"desc": b"x"}, "desc"),
    ],
)
def test_sweep_rejects_bad_options(audit, kwargs, name):
    error = audit.call("sweep.sweep", sweep, square, {"x": [1]}, "serial", **kwargs, names=(name,))
    assert isinstance(error, (ValueError, TypeError))


def test_sweep_rejects_a_function_that_is_not_callable(audit):
    for func in (None, 3, "square", [square]):
        assert isinstance(audit.call("sweep.sweep", sweep, func, {"x": [1]}, "serial", names=("func",)), TypeError)


def bad_paths(tmp: Path) -> list[object]:
    (tmp / "a-file").write_text("x")
    (tmp / "a-folder").mkdir(exist_ok=True)
    return [
        "",
        ".",
        tmp / "a-folder",
        tmp,
        tmp / "a-file" / "ckpt.jsonl",
        tmp / "a-file" / "deeper" / "c",
        3,
        2.5,
        b"x",
        ["p"],
        "bad\0name",
    ]


def test_sweep_and_runner_reject_bad_paths_before_any_work(audit, tmp_path):
    for path in bad_paths(tmp_path):
        error = audit.call(
            "sweep.sweep", sweep, square, {"x": [1]}, "serial", path, progress=False, names=("checkpoint",)
        )
        assert isinstance(error, (ValueError, TypeError)), path
        if path in ("", ".", tmp_path / "a-folder", tmp_path) or path == "bad\0name":
            continue  # fine folders for the runner (or, for a NUL, refused by the OS only)
        error = audit.call(
            "runner.run_reproductions",
            lambda: run_reproductions(["capacity"], out=path, progress=False),
            names=("out",),
        )
        assert isinstance(error, (ValueError, TypeError)), path
    assert (tmp_path / "a-file").read_text() == "x"


GOOD = [{"x": x} for x in range(8)]


def truth():
    return [x * x for x in range(8)]


corruptions = st.one_of(
    st.binary(min_size=1, max_size=30).filter(lambda b: b"\n" not in b),
    st.sampled_from(
        [b"{", b"[]", b"null", b"{}", b'{"point": 1}', b'{"point": {"x": 1}}', b'{"result": 1}', b"\xff\xfe", b"   "]
    ),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    damaged=st.lists(st.integers(0, 7), unique=True, max_size=8),
    how=st.lists(st.one_of(corruptions, st.sampled_from(["truncate", "drop"])), min_size=8, max_size=8),
    torn_tail=st.binary(max_size=12).filter(lambda b: b"\n" not in b),
)
def test_corrupt_checkpoint_lines_cost_exactly_their_points(audit, tmp_path_factory, damaged, how, torn_tail):
    folder = tmp_path_factory.mktemp("ckpt")
    checkpoint = folder / "sweep.jsonl"
    log = folder / "calls"
    sweep(counted, GOOD, "serial", checkpoint, progress=False)
    lines = checkpoint.read_bytes().split(b"\n")[:-1]  # header, then x = 0..7 in order
    lost = set()
    for x in damaged:
        change = how[x]
        record = lines[x + 1]
        if change == "truncate":
            lines[x + 1] = record[: len(record) // 2]
        elif change == "drop":
            lines[x + 1] = b""
        else:
            lines[x + 1] = change
        if json_record(lines[x + 1]) != json_record(record):
            lost.add(x)
    checkpoint.write_bytes(b"\n".join(lines) + b"\n" + torn_tail)
    os.environ["FUZZ_CALLS"] = str(log)
    try:
        table = audit.call(
            "sweep.sweep(corrupt checkpoint)",
            sweep,
            counted,
            GOOD,
            "serial",
            checkpoint,
            progress=False,
            allowed_warnings=(CheckpointWarning,),
        )
    finally:
        del os.environ["FUZZ_CALLS"]
    assert list(table["square"]) == truth()
    recomputed = sorted(int(x) for x in log.read_text().split()) if log.exists() else []
    assert recomputed == sorted(lost)
    assert sorted(json.loads(line)["point"]["x"] for line in checkpoint.read_text().splitlines()[1:]) == list(range(8))


def counted(x):
    path = os.environ.get("FUZZ_CALLS")
    if path:
        with open(path, "a") as f:
            f.write(f"{x}\n")
    return {"square": x * x}


def json_record(line: bytes):
    try:
        entry = json.loads(line.decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return (
        entry
        if isinstance(entry, dict) and entry.keys() == {"point", "result"} and isinstance(entry["point"], dict)
        else None
    )


@SETTINGS
@given(
    table=st.one_of(
        st.dictionaries(keys, values, max_size=3),
        scalars,
        st.lists(scalars, max_size=2),
    )
)
def test_write_csv_rejects_malformed_tables(audit, tmp_path_factory, table):
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    result = audit.call("tables.write_csv", write_csv, table, path, names=("table", "column", "path"))
    for bad in bad_paths(path.parent):
        assert isinstance(
            audit.call("tables.write_csv", write_csv, {"a": [1]}, bad, names=("path",)), (ValueError, TypeError)
        )
    if not isinstance(result, (ValueError, TypeError)):
        assert path.exists()


@pytest.mark.parametrize("address", [3, None, b"tcp://x:1", ["tcp://x:1"], "", "nonsense://x", "tcp://", "::::"])
def test_dask_executor_rejects_bad_addresses(audit, address):
    error = audit.call("sweep.dask_executor", dask_executor, address, timeout=0.5, names=("address",))
    assert isinstance(error, (ValueError, TypeError))


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "1", True, None])
def test_dask_executor_rejects_bad_timeouts(audit, timeout):
    error = audit.call("sweep.dask_executor", dask_executor, "tcp://127.0.0.1:9", timeout=timeout, names=("timeout",))
    assert isinstance(error, (ValueError, TypeError))


def test_dask_executor_unreachable_is_one_connection_error():
    with pytest.raises(
        ConnectionError, match=r"^cannot reach the dask scheduler at address 'tcp://127.0.0.1:9'"
    ) as info:
        dask_executor("tcp://127.0.0.1:9", timeout=0.5)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2", True, None])
def test_process_pool_rejects_bad_worker_counts(audit, workers):
    assert isinstance(
        audit.call("sweep.process_pool", process_pool, workers, names=("workers",)), (ValueError, TypeError)
    )


@pytest.mark.parametrize("interruptible", [1, "yes", None])
def test_process_pool_rejects_a_bad_interruptible_flag(audit, interruptible):
    error = audit.call("sweep.process_pool", process_pool, 1, interruptible=interruptible, names=("interruptible",))
    assert isinstance(error, TypeError)


def test_code_fingerprint_of_any_callable(audit):
    for func in (square, len, print, np.sin, lambda x: x, Check, object(), 3):
        value = audit.call("sweep.code_fingerprint", code_fingerprint, func, names=("func",))
        assert isinstance(value, str) and len(value) == 16 or isinstance(value, (ValueError, TypeError))


@SETTINGS
@given(
    name=st.one_of(
        st.text(max_size=8), st.integers(), st.none(), st.binary(max_size=3), st.lists(st.text(max_size=3), max_size=2)
    )
)
def test_registry_get_rejects_unknown_names(audit, name):
    if isinstance(name, str) and name in catalogue():
        return
    error = audit.call("registry.get", get, name, names=("name", "reproduction"))
    assert isinstance(error, (ValueError, TypeError))


def test_registry_listing(audit):
    assert audit.call("registry.names", names) == list(audit.call("registry.catalogue", catalogue))


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("", "t"), {"quick": {}, "full": {}}),
        (("has space", "t"), {"quick": {}, "full": {}}),
        (("../up", "t"), {"quick": {}, "full": {}}),
        ((3, "t"), {"quick": {}, "full": {}}),
        (("ok-name", ""), {"quick": {}, "full": {}}),
        (("ok-name", None), {"quick": {}, "full": {}}),
        (("ok-name", "t"), {"quick": [1], "full": {}}),
        (("ok-name", "t"), {"quick": {}, "full": None}),
        (("capacity", "t"), {"quick": {}, "full": {}}),  # registered twice
        (("ok-name", "t"), {"quick": {}, "full": {}, "cost": -1.0}),
        (("ok-name", "t"), {"quick": {}, "full": {}, "cost": float("nan")}),
        (("ok-name", "t"), {"quick": {}, "full": {}, "cost": float("inf")}),
        (("ok-name", "t"), {"quick": {}, "full": {}, "cost": "10"}),
        (("ok-name", "t"), {"quick": {}, "full": {}, "cost": True}),
    ],
)
def test_register_rejects_bad_names_titles_and_settings(audit, args, kwargs):
    def decorate():
        get("capacity")
        return register(*args, **kwargs)(square)

    try:
        error = audit.call("registry.register", decorate, names=("name", "title", "settings", "registered", "cost"))
    finally:
        if args[0] == "ok-name":
            REGISTRY.pop("ok-name", None)
    assert isinstance(error, (ValueError, TypeError))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"theory": "1"}, "theory"),
        ({"simulation": None}, "simulation"),
        ({"stderr": [0.1]}, "stderr"),
        ({"tolerance": -1.0}, "tolerance"),
        ({"tolerance": float("nan")}, "tolerance"),
        ({"tolerance": True}, "tolerance"),
        ({"quantity": ""}, "quantity"),
        ({"quantity": 3}, "quantity"),
        ({"note": 5}, "note"),
    ],
)
def test_check_rejects_bad_fields(audit, kwargs, name):
    fields = {"quantity": "q", "theory": 1.0, "simulation": 1.0, "stderr": 0.1, "tolerance": 0.3, **kwargs}
    assert isinstance(audit.call("registry.Check", Check, **fields, names=(name,)), (ValueError, TypeError))


def test_a_nan_simulation_fails_its_check_instead_of_raising():
    check = Check("q", 1.0, float("nan"), 0.1, 0.3)
    assert not check.passed and math.isnan(check.discrepancy)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"names": "capacity"}, "names"),
        ({"names": 3}, "names"),
        ({"names": ["nope"]}, "reproduction"),
        ({"names": [3]}, "name"),
        ({"names": [None]}, "name"),
        ({"mode": "fast"}, "mode"),
        ({"mode": None}, "mode"),
        ({"jobs": 0}, "jobs"),
        ({"jobs": "2"}, "jobs"),
        ({"jobs": 2.0}, "jobs"),
        ({"scheduler": 3}, "scheduler"),
        ({"scheduler": ""}, "address"),
        ({"fresh": "yes"}, "fresh"),
        ({"progress": 1}, "progress"),
        ({"out": None}, "out"),
        ({"out": 3}, "out"),
    ],
)
def test_run_reproductions_rejects_bad_arguments_before_running(audit, tmp_path, kwargs, name):
    arguments = {"names": ["capacity"], "out": tmp_path / "out", "progress": False, **kwargs}
    error = audit.call("runner.run_reproductions", lambda: run_reproductions(**arguments), names=(name,))
    assert isinstance(error, (ValueError, TypeError))
    assert not (tmp_path / "out" / "capacity" / "checks.json").exists()
