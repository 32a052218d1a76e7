"""Run a function over a parameter grid on any executor, with a progress bar and a checkpoint.

:func:`sweep` evaluates ``func(**point)`` for every point of a grid and returns a table: a dict
mapping each parameter and each result name to a numpy array, one entry per point in grid order,
which :func:`write_csv` writes unchanged. The points run on any
:class:`concurrent.futures.Executor` (local processes by default, a dask cluster through
:func:`dask_executor`). With a checkpoint file every finished point is saved at once, so a sweep
that was interrupted resumes where it stopped; the file records what produced it (the function,
the package version and a hash of the code), and a checkpoint written by other code is set aside
with a :class:`CheckpointWarning` and recomputed. Ctrl-C raises :class:`SweepInterrupted`, which
says how many points were saved; worker processes never outlive the sweep.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.util
import inspect
import itertools
import json
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm import tqdm

from statlearn.tables import writable_path, write_csv

__all__ = [
    "CheckpointWarning",
    "Grid",
    "SweepInterrupted",
    "Table",
    "bars_hidden",
    "code_fingerprint",
    "dask_executor",
    "grid_points",
    "process_pool",
    "sweep",
    "write_csv",
]

Grid = Mapping[str, Any] | Sequence[Mapping[str, Any]]
Table = dict[str, np.ndarray]

#: The distribution's packages whose source is hashed into a checkpoint's fingerprint.
PACKAGES = ("statlearn", "wirg")


class CheckpointWarning(UserWarning):
    """A checkpoint, or a line of it, was set aside: written by other code, or corrupt."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM turned into it) during a sweep; every finished point is saved.

    Attributes ``saved`` (points in the checkpoint, resumed ones included), ``total`` (points of
    the grid) and ``checkpoint`` (its path, or None).
    """

    def __init__(self, saved: int, total: int, checkpoint: Path | None) -> None:
        self.saved, self.total, self.checkpoint = saved, total, checkpoint
        if checkpoint is None:
            text = f"interrupted after {saved} of {total} points (no checkpoint, nothing saved)"
        else:
            text = f"interrupted, {saved} of {total} points saved in {checkpoint}, rerun to resume"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:  # the message comes back from a pool worker
        return type(self), (self.saved, self.total, self.checkpoint)


def sweep(
    func: Callable[..., Any],
    grid: Grid,
    executor: Executor | int | Literal["serial"] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    *,
    progress: bool = True,
    desc: str | None = None,
) -> Table:
    """Evaluate ``func(**point)`` at every point of ``grid`` and return the results as a table.

    Parameters
    ----------
    func
        Called once per point with the point's parameters as keyword arguments. It returns a dict
        of results (or a dataclass instance, read as the dict of its fields, or a single value,
        stored under the name ``"result"``) that must be JSON-serialisable: numbers, strings,
        booleans, None, lists and dicts of those. Numpy scalars and arrays are converted to
        numbers and lists. The keys must be the same at every point. To run on worker
        processes ``func`` must be picklable: a function defined at the top level of a module.
    grid
        Either a mapping ``name -> sequence of values``, whose cartesian product is swept with
        the last name varying fastest, or a sequence of dicts, the explicit points. Values must
        be JSON-serialisable (they identify the point in the checkpoint).
    executor
        ``None`` (default): a pool of ``os.cpu_count()`` local processes, created and shut down
        here. An int: a pool of that many processes. ``"serial"`` or ``1``: run in this process,
        which is the way to debug ``func``. Any other :class:`concurrent.futures.Executor`
        (e.g. from :func:`dask_executor`) is used as it is and left open.
    checkpoint
        Path of a JSON-lines file. Every finished point is appended at once as
        ``{"point": ..., "result": ...}`` and flushed to disk; points already in the file are
        not recomputed, so rerunning an interrupted sweep with the same arguments finishes it. A
        torn last line (a crash while writing) is dropped and its point recomputed; a corrupt
        line elsewhere is dropped with a :class:`CheckpointWarning` naming the file and line, and
        its point recomputed. Points in the file that are not in ``grid`` are ignored with a
        warning, so a grid may be extended. The header line records the name of ``func`` (the
        file refuses to serve another function), the package version and
        :func:`code_fingerprint` of ``func``: a checkpoint written by another version or other
        code is set aside with a :class:`CheckpointWarning` and every point recomputed. Arguments
        bound with :func:`functools.partial` are not part of the fingerprint: put fixed
        arguments in the grid as one-value axes, or use a new path after changing them.
    progress
        Show a tqdm progress bar on stderr (unless the environment sets ``TQDM_DISABLE=1``, read at
        the call), and a line saying how many points were resumed from the checkpoint.
    desc
        Label of the progress bar.

    Returns
    -------
    dict of str to numpy.ndarray
        One column per parameter, then one per result name, each with one entry per point in
        grid order. A result that is a list becomes an array with one more axis (an object
        array if the lengths differ).

    Raises
    ------
    TypeError
        If ``grid`` or ``executor`` has the wrong type, or a result is not JSON-serialisable
        (the message names the point).
    ValueError
        If ``grid`` is empty, has a duplicate point or points with different names, results have
        different names at different points, a result repeats a parameter with another value,
        or ``checkpoint`` is a folder, lies under a file, belongs to another function or is not a
        sweep checkpoint.
    RuntimeError
        If ``func`` raises at a point (the original exception is the cause). Points finished
        before, or running at the same time, are still saved to the checkpoint.
    OSError
        If the checkpoint cannot be written (e.g. the disk is full): a one-line message naming
        the file; every point saved before stays in it, intact.
    SweepInterrupted
        On Ctrl-C: running points are stopped (worker processes terminated), every finished
        point is in the checkpoint, and rerunning the same sweep resumes.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {type(progress).__name__}")
    if desc is not None and not isinstance(desc, str):
        raise TypeError(f"desc must be a string or None, got {type(desc).__name__}")
    points = grid_points(grid)
    workers = _workers(executor)
    keys = [_key(point) for point in points]
    rows: dict[str, dict[str, Any]] = {}
    log = None
    if checkpoint is not None:
        log = _Checkpoint(writable_path(checkpoint, "checkpoint"), _function_name(func), code_fingerprint(func))
        saved = log.load()
        unknown = saved.keys() - set(keys)
        if unknown:
            warnings.warn(
                f"checkpoint {log.path} holds {len(unknown)} point(s) not in this grid, e.g. "
                f"{min(unknown)}; they are ignored",
                CheckpointWarning,
                stacklevel=2,
            )
        rows = {key: _row(point, saved[key]) for point, key in zip(points, keys) if key in saved}
    todo = [point for point, key in zip(points, keys) if key not in rows]

    if rows and progress and log is not None:
        tqdm.write(f"{desc or 'sweep'}: {len(rows)} of {len(points)} points resumed from {log.path}", file=sys.stderr)
    hide = {"disable": True} if bars_hidden(progress) else {}
    with tqdm(total=len(points), initial=len(rows), desc=desc, **hide) as bar:

        def record(point: dict[str, Any], evaluated: tuple[Any, list[Any]]) -> None:
            result, caught = evaluated
            _reissue(caught)
            result = _plain(_as_data(result), f"the result at point {point}")
            rows[_key(point)] = _row(point, result)
            if log is not None:
                log.append(point, result)
            bar.update()

        try:
            _compute(workers, func, todo, record)
        except KeyboardInterrupt:
            raise SweepInterrupted(len(rows), len(points), None if log is None else log.path) from None
    return _table(points, [rows[key] for key in keys])


def grid_points(grid: Grid) -> list[dict[str, Any]]:
    """Expand ``grid`` into its list of points, in the order :func:`sweep` evaluates them.

    Parameters
    ----------
    grid
        A mapping ``name -> sequence of values`` (cartesian product, last name fastest) or a
        sequence of dicts (explicit points), as for :func:`sweep`.

    Returns
    -------
    list of dict
        The points, with numpy scalars converted to Python numbers.

    Raises
    ------
    TypeError
        If ``grid`` is neither a mapping nor a sequence of mappings, a name is not a string, an
        axis is not a sequence, or a value is not JSON-serialisable.
    ValueError
        If ``grid`` has no points, an axis is empty or not one-dimensional, points have
        different names, or a point occurs twice.
    """
    if isinstance(grid, Mapping):
        points = _product(grid)
    elif isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)):
        if not grid:
            raise ValueError("grid has no points")
        points = []
        for i, point in enumerate(grid):
            if not isinstance(point, Mapping):
                raise TypeError(f"grid[{i}] must be a dict of parameters, got {type(point).__name__}")
            points.append(_plain(dict(point), f"grid[{i}]"))
    else:
        raise TypeError(
            f"grid must be a mapping name -> sequence of values or a sequence of dicts, got {type(grid).__name__}"
        )
    names = set(points[0])
    seen: set[str] = set()
    for point in points:
        if set(point) != names:
            raise ValueError(f"grid points must all have the same parameter names: {point} differs from {points[0]}")
        key = _key(point)
        if key in seen:
            raise ValueError(f"grid has the point {point} more than once")
        seen.add(key)
    return points


def dask_executor(address: str, timeout: float = 10.0) -> Executor:
    """Return a :class:`concurrent.futures.Executor` running on the dask cluster at ``address``.

    Parameters
    ----------
    address
        Address of a running dask scheduler, e.g. ``"tcp://10.0.0.1:8786"``.
    timeout
        Seconds to wait for the scheduler to answer, > 0.

    Returns
    -------
    concurrent.futures.Executor
        The executor of a new ``distributed.Client(address)``; its ``shutdown()`` also closes
        that client (use it as a context manager, or call ``shutdown`` when done).

    Raises
    ------
    ImportError
        If ``dask.distributed`` is not installed (``pip install 'statlearn[dask]'``).
    ConnectionError
        If no scheduler answers at ``address`` within ``timeout`` (one line).
    TypeError, ValueError
        If ``address`` is not a string or not an address, or ``timeout`` is not a positive number.
    """
    if not isinstance(address, str):
        raise TypeError(f"address must be a string such as 'tcp://host:8786', got {type(address).__name__}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if not (0 < timeout < float("inf")):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    try:
        from distributed import Client
        from distributed.comm.addressing import parse_address
        from distributed.comm.registry import get_backend
    except ImportError as exc:
        raise ImportError(
            "dask_executor needs dask.distributed, which is not installed; "
            "install the 'dask' extra: pip install 'statlearn[dask]'"
        ) from exc
    # The scheme and location are checked before a Client starts its event-loop thread, so a malformed
    # address is a ValueError at once rather than whatever the half-started client runs into.
    try:
        scheme, location = parse_address(address, strict=False)
        get_backend(scheme)
    except ValueError as exc:
        raise ValueError(f"address {address!r} is not a dask scheduler address: {_first_line(exc)}") from None
    if not location:
        raise ValueError(f"address {address!r} is not a dask scheduler address: it names no host")
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(f"cannot reach the dask scheduler at address {address!r}: {_first_line(exc)}") from None
    except (ValueError, TypeError) as exc:
        raise ValueError(f"address {address!r} is not a dask scheduler address: {_first_line(exc)}") from None
    return _ClientExecutor(client)


def _first_line(error: BaseException) -> str:
    """The first line of ``error``'s message, or its type's name when the message is empty."""
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class _ClientExecutor(Executor):
    """The executor of a dask client that also closes the client when shut down."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._executor = client.get_executor()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
        self._client.close()


def _product(grid: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not grid:
        raise ValueError("grid has no parameters")
    axes = []
    for name, values in grid.items():
        if not isinstance(name, str):
            raise TypeError(f"grid parameter names must be strings, got {name!r}")
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
            raise TypeError(
                f"grid[{name!r}] must be a sequence of values, got {type(values).__name__}; "
                "wrap a single value in a list"
            )
        if isinstance(values, np.ndarray) and values.ndim != 1:
            raise ValueError(f"grid[{name!r}] must be one-dimensional, got shape {values.shape}")
        if len(values) == 0:
            raise ValueError(f"grid[{name!r}] is empty")
        axes.append([_plain(value, f"grid[{name!r}]") for value in values])
    return [dict(zip(grid, values)) for values in itertools.product(*axes)]


def _workers(executor: Executor | int | str | None) -> Executor | int:
    """Return a given executor unchanged, or the number of local processes (1: in-process)."""
    if executor is None:
        return os.cpu_count() or 1
    if isinstance(executor, Executor):
        return executor
    if isinstance(executor, str):
        if executor != "serial":
            raise ValueError(f"executor must be 'serial', a number of processes or an Executor, got {executor!r}")
        return 1
    if isinstance(executor, int) and not isinstance(executor, bool):
        if executor < 1:
            raise ValueError(f"executor as a number of processes must be >= 1, got {executor}")
        return executor
    raise TypeError(
        f"executor must be None, 'serial', a number of processes or an Executor, got {type(executor).__name__}"
    )


def _compute(
    workers: Executor | int,
    func: Callable[..., Any],
    points: list[dict[str, Any]],
    record: Callable[[dict[str, Any], Any], None],
) -> None:
    """Evaluate ``points`` on the given executor, in this process (1), or on a new process pool."""
    if isinstance(workers, Executor):
        _run_on(workers, func, points, record)
    elif workers == 1 or not points:
        for point in points:
            record(point, _evaluate(func, point))
    else:
        with process_pool(min(workers, len(points))) as pool:
            _run_on(pool, func, points, record)


def process_pool(
    workers: int, *, interruptible: bool = False
) -> contextlib.AbstractContextManager[ProcessPoolExecutor]:
    """A local process pool whose workers never outlive this process or its interruption.

    The workers ignore Ctrl-C (the parent handles it) and, on Linux, die with the parent even if
    it is killed outright. Leaving the block normally waits for the running calls; leaving it by
    an exception (Ctrl-C, SIGTERM turned into an exception, a failure) drops the queued calls
    and terminates the workers at once.

    Parameters
    ----------
    workers
        Number of worker processes, >= 1.
    interruptible
        If True, leaving the block by an exception interrupts the running calls instead of
        killing them: each worker receives SIGTERM, which raises :class:`KeyboardInterrupt` inside
        the running call, so that it can say what it saved (a :class:`SweepInterrupted` of a
        serial sweep comes back as the call's exception); a worker still busy after
        :data:`INTERRUPT_GRACE` seconds (e.g. in compiled code) is killed.
    """
    if not isinstance(workers, int) or isinstance(workers, bool):
        raise TypeError(f"workers must be an int, got {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if not isinstance(interruptible, bool):
        raise TypeError(f"interruptible must be True or False, got {type(interruptible).__name__}")
    return _pool(workers, interruptible)


#: Seconds an interruptible pool's workers get to return from their calls after SIGTERM.
INTERRUPT_GRACE = 5.0


class _InterruptiblePool(ProcessPoolExecutor):
    """A pool whose calls turn SIGTERM into KeyboardInterrupt while they run (:func:`process_pool`)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(_call_interruptibly, fn, *args, **kwargs)


_calling = False  # in a worker of an interruptible pool: a call is running


def _call_interruptibly(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    global _calling
    _calling = True
    try:
        return fn(*args, **kwargs)
    finally:
        _calling = False


def _interrupt_call(signum: int, frame: object) -> None:
    """SIGTERM in a worker of an interruptible pool interrupts the running call; an idle worker
    waits for the pool's shutdown (it is killed if its parent dies)."""
    if _calling:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _pool(workers: int, interruptible: bool) -> Iterator[ProcessPoolExecutor]:
    kind = _InterruptiblePool if interruptible else ProcessPoolExecutor
    pool = kind(max_workers=workers, initializer=_worker_init, initargs=(os.getpid(), interruptible))
    try:
        yield pool
    except BaseException:
        _terminate(pool, INTERRUPT_GRACE if interruptible else 0.0)
        raise
    else:
        pool.shutdown(wait=True)


def _worker_init(parent: int, interruptible: bool = False) -> None:
    """Set up a pool worker: ignore Ctrl-C, SIGTERM ends it (or interrupts its call, if
    ``interruptible``), and exit with the parent (Linux; killed outright if ``interruptible``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _interrupt_call if interruptible else signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        death = signal.SIGKILL if interruptible else signal.SIGTERM
        libc.prctl(1, int(death))  # PR_SET_PDEATHSIG: a signal when the parent dies
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _terminate(pool: ProcessPoolExecutor, grace: float = 0.0) -> None:
    """Stop a pool now: cancel the queued calls and terminate the workers running the others.

    With ``grace > 0`` the workers get that many seconds to return from their calls after
    SIGTERM (their results, or the exceptions they raised, reach the futures) before they are
    killed.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # the stdlib pool's workers
    for process in processes:
        if process.is_alive():
            process.terminate()
    if grace > 0:
        manager = getattr(pool, "_executor_manager_thread", None)  # it sets the futures' results
        pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace
        for process in processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
        if manager is not None:
            manager.join(timeout=grace)
    pool.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)


def _evaluate(func: Callable[..., Any], point: dict[str, Any]) -> tuple[Any, list[tuple[str, type[Warning], str, int]]]:
    """Call ``func(**point)``, naming the point if it raises (runs in the worker).

    Returns the result and the warnings it raised, which the caller re-issues in its own process,
    so that warnings of pool workers reach the caller's filters instead of the console.
    """
    with warnings.catch_warnings(record=True) as caught:
        try:
            result = func(**point)
        except Exception as exc:
            raise RuntimeError(f"func failed at grid point {point}: {exc!r}") from exc
    return result, [(str(w.message), w.category, w.filename, w.lineno) for w in caught]


def _reissue(caught: list[tuple[str, type[Warning], str, int]]) -> None:
    for message, category, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno)


def _run_on(
    executor: Executor,
    func: Callable[..., Any],
    points: list[dict[str, Any]],
    record: Callable[[dict[str, Any], Any], None],
) -> None:
    """Run every point on ``executor``; after a failure cancel what has not started, save what
    still finishes, then raise the first failure."""
    futures = {executor.submit(_evaluate, func, point): point for point in points}
    failure: Exception | None = None
    try:
        for future in as_completed(futures):
            if future.cancelled():
                continue
            try:
                record(futures[future], future.result())
            except Exception as exc:
                if failure is None:
                    failure = exc
                    _cancel(futures)
    finally:  # after Ctrl-C, do not leave queued points running on a shared executor
        _cancel(futures)
    if failure is not None:
        raise failure


def _cancel(futures: Iterable[Future[Any]]) -> None:
    for future in futures:
        future.cancel()


def _as_data(result: Any) -> Any:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    return result


def _plain(value: Any, where: str) -> Any:
    """Convert ``value`` to plain JSON types (numpy scalars/arrays included) or raise TypeError."""
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item, where) for item in value]
    if isinstance(value, Mapping):
        out = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise TypeError(f"{where} is not JSON-serialisable: dict key {name!r} is not a string")
            out[name] = _plain(item, where)
        return out
    raise TypeError(
        f"{where} is not JSON-serialisable: {type(value).__name__} {value!r}; "
        "use numbers, strings, booleans, None, lists and dicts"
    )


def _key(point: Mapping[str, Any]) -> str:
    """Canonical JSON of a point: the identity of the point in a checkpoint."""
    return json.dumps(point, sort_keys=True, separators=(",", ":"))


def _row(point: dict[str, Any], result: Any) -> dict[str, Any]:
    columns = result if isinstance(result, dict) else {"result": result}
    for name in columns.keys() & point.keys():
        if columns[name] != point[name]:
            raise ValueError(
                f"the result at point {point} has {name!r} = {columns[name]!r}, "
                f"which contradicts the parameter {name} = {point[name]!r}"
            )
    return {**point, **columns}


def _table(points: list[dict[str, Any]], rows: list[dict[str, Any]]) -> Table:
    names = list(rows[0])
    for point, row in zip(points, rows):
        if set(row) != set(names):
            raise ValueError(
                f"the result at point {point} has the names {sorted(row)}, the one at "
                f"{points[0]} has {sorted(names)}; func must return the same names everywhere"
            )
    return {name: _column([row[name] for row in rows]) for name in names}


def _column(values: list[Any]) -> np.ndarray:
    try:
        return np.asarray(values)
    except ValueError:  # lists of different lengths
        column = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):
            column[i] = value
        return column


def _function_name(func: Callable[..., Any]) -> str:
    while isinstance(func, functools.partial):
        func = func.func
    qualname = getattr(func, "__qualname__", type(func).__qualname__)
    return f"{getattr(func, '__module__', None)}.{qualname}"


def bars_hidden(progress: bool) -> bool:
    """Whether a progress bar asked for with ``progress`` is hidden: not asked for, or ``TQDM_DISABLE`` set in the
    environment (read at each call, not only when tqdm was imported: a runner may set it afterwards)."""
    return not progress or os.environ.get("TQDM_DISABLE", "").lower() not in ("", "0", "false")


def code_fingerprint(func: Callable[..., Any]) -> str:
    """A hash of the code behind ``func``: its module's source and every module of the distribution.

    Any edit to ``statlearn`` or ``wirg`` (or to the file defining ``func``, e.g. a test module)
    changes it, so a checkpoint never serves results computed by other code. Arguments bound
    with :func:`functools.partial` are not included.

    Returns
    -------
    str
        The first 16 hex digits of a SHA-256.
    """
    while isinstance(func, functools.partial):
        func = func.func
    digest = hashlib.sha256(_packages_digest().encode())
    try:
        source = inspect.getsourcefile(func)
    except TypeError:  # a builtin or a callable instance of a builtin class
        source = None
    if source and os.path.isfile(source):
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _packages_digest() -> str:
    digest = hashlib.sha256()
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        for folder in sorted(spec.submodule_search_locations or []) if spec else []:
            for path in sorted(Path(folder).rglob("*.py")):
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    reproductions = importlib.util.find_spec("statlearn.reproductions")  # a folder of its own when editable
    for folder in reproductions.submodule_search_locations or [] if reproductions else []:
        for path in sorted(Path(folder).glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _version() -> str:
    from statlearn import __version__

    return __version__


class _Checkpoint:
    """The JSON-lines checkpoint: a header ``{"function", "version", "code"}``, then one line per point."""

    def __init__(self, path: Path, function: str, code: str) -> None:
        self.path = path
        self.header = {"function": function, "version": _version(), "code": code}

    def load(self) -> dict[str, Any]:
        """Return the saved results by point key.

        A torn last line is cut off the file; corrupt lines are dropped with a warning and the
        file rewritten without them; a file written by other code is set aside (emptied).
        """
        if not self.path.exists():
            return {}
        if not self.path.is_file():
            raise ValueError(f"checkpoint {self.path} is not a file")
        data = self.path.read_bytes()
        complete = data.rfind(b"\n") + 1  # everything after the last newline is a torn write
        lines = data[:complete].split(b"\n")[:-1]
        if not lines:
            self._rewrite([])
            return {}
        header = _json_line(lines[0])
        if not isinstance(header, dict) or "function" not in header:
            raise ValueError(f"{self.path} is not a sweep checkpoint (no header line); use another path or delete it")
        if header["function"] != self.header["function"]:
            raise ValueError(
                f"checkpoint {self.path} was written for {header['function']}, not for "
                f"{self.header['function']}; use another path or delete the file"
            )
        if header != self.header:
            warnings.warn(
                f"checkpoint {self.path} was written by other code (statlearn {header.get('version', '?')}, "
                f"code {header.get('code', '?')}; now {self.header['version']}, {self.header['code']}): "
                f"its {len(lines) - 1} point(s) are ignored and recomputed",
                CheckpointWarning,
                stacklevel=3,
            )
            self._rewrite([])
            return {}
        results: dict[str, Any] = {}
        kept, bad = [lines[0]], []
        for number, line in enumerate(lines[1:], start=2):
            entry = _json_line(line)
            if isinstance(entry, dict) and entry.keys() == {"point", "result"} and isinstance(entry["point"], dict):
                results[_key(entry["point"])] = entry["result"]
                kept.append(line)
            else:
                bad.append(number)
        if bad:
            shown = ", ".join(map(str, bad[:5])) + (", ..." if len(bad) > 5 else "")
            warnings.warn(
                f"checkpoint {self.path}: line(s) {shown} corrupt, dropped; their points are recomputed",
                CheckpointWarning,
                stacklevel=3,
            )
            self._rewrite(kept)
        elif complete < len(data):
            with self.path.open("r+b") as f:
                f.truncate(complete)
        return results

    def _rewrite(self, lines: list[bytes]) -> None:
        """Replace the file by ``lines`` atomically (a crash leaves the old file or the new one)."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_bytes(b"".join(line + b"\n" for line in lines))
            os.replace(temporary, self.path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise OSError(exc.errno, f"cannot rewrite checkpoint {self.path}: {exc.strerror}") from None

    def append(self, point: dict[str, Any], result: Any) -> None:
        """Append one finished point (after the header if the file is new) and force it to disk.

        If the write fails (a full disk), the file is cut back to what it held before, so
        every point saved earlier stays readable, and a one-line OSError names the file.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                size = os.fstat(fd).st_size
                header = json.dumps(self.header) + "\n" if size == 0 else ""
                data = memoryview((header + json.dumps({"point": point, "result": result}) + "\n").encode())
                try:
                    while data:
                        data = data[os.write(fd, data) :]
                    os.fsync(fd)
                except OSError:
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, size)
                    raise
            finally:
                os.close(fd)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot write checkpoint {self.path}: {exc.strerror or exc}") from None


def _json_line(line: bytes) -> Any:
    """The JSON value of one line, or None if it is not valid UTF-8 JSON."""
    try:
        return json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
