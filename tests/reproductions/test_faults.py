"""Faults of ``statlearn reproduce`` seen from outside: signals, Ctrl-C, corrupt or stale
checkpoints, a full disk, an unreachable scheduler, bad names, crashes; each run in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

FAKE = """
import os, time, warnings
from statlearn.reproductions.registry import Check, ReproductionResult, register
# numpy (through statlearn.sweep) is imported when a reproduction runs, as for the shipped ones

def point(x, folder):
    open(os.path.join(folder, f"worker-{os.getpid()}"), "w").close()
    if x >= int(os.environ.get("FAKE_SLOW_FROM", "1000")):
        time.sleep(120)
    if x == 1:
        warnings.warn("a point warns", RuntimeWarning)
    return {"square": x * x}

@register("fake-sweep", "A sweep of squares", quick={"n": 6}, full={"n": 6})
def run(settings, out_dir, executor):
    from statlearn.sweep import sweep

    if os.environ.get("FAKE_CRASH"):
        raise ZeroDivisionError("planned crash in the fake")
    grid = {"x": list(range(settings["n"])), "folder": [str(out_dir)]}
    table = sweep(point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="fake")
    total = float(sum(table["square"]))
    expected = float(sum(x * x for x in range(settings["n"])))
    return ReproductionResult((), (), (Check("sum of squares", expected, total, 0.0, 0.0),))

@register("fake-costly", "The same sweep, announced as the longest", quick={"n": 6}, full={"n": 6}, cost=100.0)
def run_costly(settings, out_dir, executor):
    return run(settings, out_dir, executor)

THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")

def threads_point(x):
    return {name: os.environ.get(name, "unset") for name in THREADS}

@register("fake-threads", "Thread settings seen by a pool worker", quick={}, full={})
def run_threads(settings, out_dir, executor):
    from statlearn.sweep import sweep

    seen = sweep(threads_point, {"x": [0, 1]}, executor=executor, desc="threads")
    note = ",".join(f"{name}={seen[name][0]}" for name in THREADS)
    return ReproductionResult((), (), (Check("threads", 0.0, 0.0, 0.0, 0.0, note=note),))
"""

LAUNCH = "import sys, fake_repro; from statlearn.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture
def cli(tmp_path):
    """Run ``statlearn`` with the fake reproduction registered, in a subprocess."""
    (tmp_path / "fake_repro.py").write_text(textwrap.dedent(FAKE))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "TQDM_DISABLE": "1"}

    def start(*args: str, extra: dict[str, str | None] | None = None) -> subprocess.Popen:
        changed = {**env, **(extra or {})}  # None: unset
        return subprocess.Popen(
            [sys.executable, "-c", LAUNCH, *args],
            env={key: value for key, value in changed.items() if value is not None},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(*args: str, extra: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
        process = start(*args, extra=extra)
        out, err = process.communicate(timeout=300)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    run.start = start
    return run


def saved_points(checkpoint: Path) -> list[int]:
    if not checkpoint.exists():  # before the first point is saved
        return []
    return [json.loads(line)["point"]["x"] for line in checkpoint.read_text().splitlines()[1:]]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def workers(folder: Path, n: int) -> list[int]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pids = [int(p.name.split("-")[1]) for p in folder.glob("worker-*")]
        if len(pids) >= n:
            return pids
        time.sleep(0.05)
    raise AssertionError("the workers did not start")


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("statlearn reproduce:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    "how, status, word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_signal_stops_the_workers_saves_the_points_and_the_rerun_resumes(cli, tmp_path, how, status, word):
    out = tmp_path / "out"
    process = cli.start("reproduce", "fake-sweep", "--out", str(out), extra={"FAKE_SLOW_FROM": "4"})
    pids = workers(out / "fake-sweep", 2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(saved_points(out / "fake-sweep" / "sweep.jsonl")) < 4:
        time.sleep(0.05)
    time.sleep(0.3)  # the pool is now stuck on the slow points 4 and 5
    process.send_signal(how)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status
    line = one_line_error(err)
    assert word in line and "fake-sweep: interrupted, 4 of 6 points saved" in line and "rerun to resume" in line
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(alive, pids)):
        time.sleep(0.05)
    assert not [pid for pid in pids if alive(pid)], "pool workers outlived the command"
    assert sorted(saved_points(out / "fake-sweep" / "sweep.jsonl")) == [0, 1, 2, 3]

    done = cli("reproduce", "fake-sweep", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "fake: 4 of 6 points resumed from" in done.stderr
    assert sorted(saved_points(out / "fake-sweep" / "sweep.jsonl")) == list(range(6))  # 4 and 5 once each


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_parallel_run_stops_every_reproduction_and_says_what_each_saved(cli, tmp_path, how, status):
    out = tmp_path / "out"
    names = ("fake-sweep", "fake-costly")
    process = cli.start("reproduce", *names, "--jobs", "2", "--out", str(out), extra={"FAKE_SLOW_FROM": "4"})
    pids = [pid for name in names for pid in workers(out / name, 1)]  # each runs in one worker, serially
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and min(len(saved_points(out / n / "sweep.jsonl")) for n in names) < 4:
        time.sleep(0.05)
    time.sleep(0.3)  # both are now stuck on point 4
    process.send_signal(how)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status
    line = one_line_error(err)
    for name in names:
        assert f"{name}: interrupted, 4 of 6 points saved in {out / name / 'sweep.jsonl'}, rerun to resume" in line
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(alive, pids)):
        time.sleep(0.05)
    assert not [pid for pid in pids if alive(pid)], "workers outlived the command"

    done = cli("reproduce", *names, "--jobs", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    for name in names:
        assert sorted(saved_points(out / name / "sweep.jsonl")) == list(range(6))


def test_parallel_run_starts_the_longest_first_and_shows_the_overall_progress(cli, tmp_path):
    run = cli("reproduce", "fake-sweep", "fake-costly", "--jobs", "2", "--out", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    started = [line.split()[1] for line in run.stderr.splitlines() if line.startswith("started ")]
    assert started == ["fake-costly:", "fake-sweep:"]
    finished = [line for line in run.stderr.splitlines() if line.startswith("[")]
    assert [line.split("|")[1].split(",")[0].strip() for line in finished] == [
        "so far 1/1 checks passed",
        "so far 2/2 checks passed",
    ]
    assert run.stderr.count("a point warns") == 2  # once per reproduction


def test_every_process_computes_on_one_thread_unless_the_user_says_otherwise(cli, tmp_path):
    unset = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"))
    run = cli("reproduce", "fake-threads", "--out", str(tmp_path / "a"), extra=unset)
    chosen = cli("reproduce", "fake-threads", "--out", str(tmp_path / "b"), extra={**unset, "OMP_NUM_THREADS": "2"})
    assert run.returncode == 0 and chosen.returncode == 0, run.stderr + chosen.stderr
    note = json.loads((tmp_path / "a" / "fake-threads" / "checks.json").read_text())["checks"][0]["note"]
    assert note == "OMP_NUM_THREADS=1,OPENBLAS_NUM_THREADS=1,MKL_NUM_THREADS=1,NUMBA_NUM_THREADS=1"
    note = json.loads((tmp_path / "b" / "fake-threads" / "checks.json").read_text())["checks"][0]["note"]
    assert note == "OMP_NUM_THREADS=2,OPENBLAS_NUM_THREADS=1,MKL_NUM_THREADS=1,NUMBA_NUM_THREADS=1"


def test_corrupt_middle_line_is_reported_with_file_and_line_and_recomputed(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("reproduce", "fake-sweep", "--out", str(out)).returncode == 0
    checkpoint = out / "fake-sweep" / "sweep.jsonl"
    lines = checkpoint.read_text().splitlines()
    lines[3] = lines[3][: len(lines[3]) // 2]  # the record of x = 2, cut in half
    checkpoint.write_text("\n".join(lines) + "\n")
    rerun = cli("reproduce", "fake-sweep", "--out", str(out))
    assert rerun.returncode == 0 and "Traceback" not in rerun.stderr
    assert f"CheckpointWarning: checkpoint {checkpoint}: line(s) 4 corrupt" in rerun.stderr
    assert "PASS   fake-sweep  1/1 checks" in rerun.stdout
    assert sorted(saved_points(checkpoint)) == list(range(6))


def test_stale_checkpoint_is_ignored_with_a_message_and_fresh_recomputes(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("reproduce", "fake-sweep", "--out", str(out)).returncode == 0
    checkpoint = out / "fake-sweep" / "sweep.jsonl"
    lines = checkpoint.read_text().splitlines()
    header = json.loads(lines[0])
    header["code"] = "0" * 16  # as if the code had changed since
    bogus = json.dumps({"point": json.loads(lines[1])["point"], "result": {"square": 99}})
    checkpoint.write_text("\n".join([json.dumps(header), bogus, *lines[2:]]) + "\n")
    rerun = cli("reproduce", "fake-sweep", "--out", str(out))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "written by other code" in rerun.stderr and "6 point(s) are ignored and recomputed" in rerun.stderr
    # the pool finishes points in any order: find each recomputed point by its parameters
    records = [json.loads(line) for line in checkpoint.read_text().splitlines()[1:]]
    assert len(records) == 6
    assert all(r["result"] == {"square": r["point"]["x"] ** 2} for r in records)

    stamp = checkpoint.stat().st_mtime_ns
    fresh = cli("reproduce", "fake-sweep", "--out", str(out), "--fresh")
    assert fresh.returncode == 0 and checkpoint.stat().st_mtime_ns != stamp
    assert "resumed" not in fresh.stderr


def test_warnings_of_pool_workers_are_shown_once_per_reproduction(cli, tmp_path):
    run = cli("reproduce", "fake-sweep", "--out", str(tmp_path / "out"))
    assert run.returncode == 0
    assert run.stderr.count("a point warns") == 1
    assert "    warning: RuntimeWarning: a point warns" in run.stderr


def test_a_crash_shows_its_reason_on_the_console(cli, tmp_path):
    run = cli("reproduce", "fake-sweep", "--out", str(tmp_path / "out"), extra={"FAKE_CRASH": "1"})
    assert run.returncode == 1
    assert "CRASH  fake-sweep  0/0 checks" in run.stdout
    assert "(ZeroDivisionError: planned crash in the fake)" in run.stdout
    assert "(ZeroDivisionError: planned crash in the fake)" in run.stderr


FULL_DISK = """
import errno, os
import statlearn.sweep as sweep_module
real, calls = os.write, [0]
def write(fd, data):
    calls[0] += 1
    if calls[0] < 4:
        return real(fd, data)
    real(fd, bytes(data[: len(data) // 2]))
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
sweep_module.os = type(os)("os_with_a_full_disk")
sweep_module.os.__dict__.update(os.__dict__)
sweep_module.os.write = write
"""


def test_full_disk_is_one_clean_error_and_keeps_what_was_saved(cli, tmp_path):
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(FULL_DISK))
    out = tmp_path / "out"
    run = cli("reproduce", "fake-sweep", "--out", str(out))
    assert run.returncode == 1
    line = one_line_error(run.stderr)
    assert "No space left on device" in line and "sweep.jsonl" in line
    checkpoint = out / "fake-sweep" / "sweep.jsonl"
    saved = saved_points(checkpoint)  # the pool finishes points in any order
    assert len(saved) == len(set(saved)) == 3 and set(saved) <= set(range(6))  # intact: no torn fourth record
    (tmp_path / "sitecustomize.py").unlink()
    done = cli("reproduce", "fake-sweep", "--out", str(out))
    assert done.returncode == 0 and "CheckpointWarning" not in done.stderr
    assert sorted(saved_points(checkpoint)) == list(range(6))


def test_unreachable_scheduler_is_one_usage_error(cli, tmp_path):
    run = cli("reproduce", "fake-sweep", "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9")
    assert run.returncode == 2
    assert "cannot reach the dask scheduler at address 'tcp://127.0.0.1:9'" in one_line_error(run.stderr)


def test_unknown_names_are_a_usage_error_with_and_without_list(cli, tmp_path):
    for args in (["--list", "capacity", "nope"], ["fake-sweep", "nope", "--out", str(tmp_path)]):
        run = cli("reproduce", *args)
        assert run.returncode == 2 and "unknown reproduction 'nope'; known: capacity" in run.stderr
        assert "Traceback" not in run.stderr
    assert not (tmp_path / "report.md").exists()


def test_list_is_fast_and_lists_the_names_given():
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "statlearn", "reproduce", "--list", "wirg-gaussian", "capacity"],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    assert run.returncode == 0
    assert [line.split()[0] for line in run.stdout.splitlines()] == ["wirg-gaussian", "capacity"]
    assert elapsed < 3.0  # was 5.5 s (every reproduction imported); about 0.2 s now
