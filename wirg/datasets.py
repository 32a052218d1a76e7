r"""Datasets of fields on disk: ``.npy`` files with a JSON sidecar, and a cache that regenerates them.

**Datasets** (:math:`\varphi^4`, Ising, Gaussian and lognormal fields): :func:`save_dataset` writes the fields as ``.npy`` with a JSON sidecar (parameters,
seed, autocorrelation times, shape, ``statlearn.__version__``); :func:`dataset` regenerates them on
demand in a cache directory.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from statlearn import __version__
from wirg.checks import check_choice, real_array, show
from wirg.fields import free_field_spectrum, gaussian_field, lognormal_field
from wirg.lattice_ising import IsingSamples, ising
from wirg.lattice_phi4 import DEFAULT_THERMALIZATION, THIN_PER_TAU, Phi4Samples, phi4
from wirg.statistics import AutocorrelationTime

__all__ = ["Dataset", "dataset", "load_dataset", "save_dataset"]


@dataclass(frozen=True)
class Dataset:
    """Fields loaded by :func:`load_dataset` and the metadata of their JSON sidecar.

    ``metadata`` has the keys ``shape``, ``dtype``, ``statlearn_version`` and ``parameters`` (a
    dict: the sampler's parameters, seed and measured autocorrelation times, and any extra ones).
    """

    fields: np.ndarray
    metadata: dict


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _npy_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path if path.suffix == ".npy" else path.with_name(path.name + ".npy")


def _tau(t: AutocorrelationTime) -> dict:
    return {"tau": t.tau, "error": t.error, "window": t.window, "n": t.n}


def _chain_parameters(kind: str, samples: Phi4Samples | IsingSamples) -> dict:
    """The parameters shared by the phi^4 and Ising chains."""
    return {
        "kind": kind,
        "L": samples.L,
        "beta": samples.beta,
        "seed": samples.seed,
        "thermalization": samples.thermalization,
        "thin": samples.thin,
        "cluster": samples.cluster,
    }


def _phi4_parameters(samples: Phi4Samples) -> dict:
    return {
        **_chain_parameters("phi4", samples),
        "sampler": samples.sampler,
        "delta": samples.delta,
        "acceptance": samples.acceptance,
        "tau_m": _tau(samples.tau_m),
        "tau_abs_m": _tau(samples.tau_abs_m),
    }


def _ising_parameters(samples: IsingSamples) -> dict:
    return {
        **_chain_parameters("ising", samples),
        "clusters_per_step": samples.clusters_per_step,
        "mean_cluster_size": None if math.isnan(samples.mean_cluster_size) else samples.mean_cluster_size,
        "acceptance": samples.acceptance,
        "tau_abs_m": _tau(samples.tau_abs_m),
        "tau_energy": _tau(samples.tau_energy),
        "converged": samples.converged,
    }


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same directory, then rename: no half-written file survives."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(descriptor)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_dataset(path: str | os.PathLike, samples: Phi4Samples | IsingSamples | ArrayLike, **params: object) -> Path:
    """Save fields as ``.npy`` with a JSON sidecar of the same name; returns the ``.npy`` path.

    Parameters
    ----------
    path
        Destination; ``.npy`` is appended unless present, the sidecar is the same path with ``.json``.
    samples
        A :class:`Phi4Samples` or :class:`wirg.lattice_ising.IsingSamples` (its parameters, seed and
        autocorrelation times are recorded; Ising spins are stored as int8) or an array of fields
        (n_samples, L, L), whose description (e.g. ``kind``, ``seed``) goes in ``params``.
    **params
        Extra JSON-serialisable parameters; one that contradicts a value of the samples is refused.

    Returns
    -------
    pathlib.Path
    """
    if isinstance(samples, Phi4Samples | IsingSamples):
        fields = samples.fields
        parameters = _phi4_parameters(samples) if isinstance(samples, Phi4Samples) else _ising_parameters(samples)
        for key, value in params.items():
            if key in parameters and parameters[key] != value:
                raise ValueError(f"parameter {key}={show(value)} contradicts the samples' {key}={parameters[key]!r}")
        parameters.update(params)
    else:
        fields = real_array("samples", samples)
        parameters = dict(params)
    for key, value in parameters.items():
        try:
            json.dumps(value)
        except TypeError:
            raise TypeError(f"parameter {key} must be JSON-serialisable, got {show(value)}") from None
    metadata = {
        "shape": list(fields.shape),
        "dtype": str(fields.dtype),
        "statlearn_version": __version__,
        "parameters": parameters,
    }
    npy = _npy_path(path)
    npy.parent.mkdir(parents=True, exist_ok=True)

    def write_fields(target: Path) -> None:
        with open(target, "wb") as handle:
            np.save(handle, fields)

    _atomic_write(npy, write_fields)
    _atomic_write(_sidecar(npy), lambda target: target.write_text(json.dumps(metadata, indent=2, sort_keys=True)))
    return npy


def load_dataset(path: str | os.PathLike) -> Dataset:
    """Load fields saved by :func:`save_dataset` and their sidecar; checks the recorded shape and dtype.

    Raises
    ------
    FileNotFoundError
        If the ``.npy`` file or its sidecar is missing.
    ValueError
        If the fields disagree with the sidecar.
    """
    npy = _npy_path(path)
    metadata = json.loads(_sidecar(npy).read_text())
    fields = np.load(npy)
    if list(fields.shape) != metadata["shape"] or str(fields.dtype) != metadata["dtype"]:
        raise ValueError(
            f"{npy} holds {fields.dtype} fields of shape {fields.shape}, its sidecar says "
            f"{metadata['dtype']} {tuple(metadata['shape'])}"
        )
    return Dataset(fields=fields, metadata=metadata)


_DATASET_KINDS = ("phi4", "ising", "free_field", "lognormal")


def dataset(kind: str, *, L: int, n_samples: int, seed: int, cache_dir: str | os.PathLike, **params: object) -> Dataset:
    """Fields of a named kind from ``cache_dir``, generated and saved there first if missing or stale.

    The file name holds the kind, ``L``, ``n_samples``, ``seed`` and a hash of all the requested
    parameters, which the sidecar also records under ``request``; a cached file is reused when its
    sidecar records the same request and the current ``statlearn.__version__``, and regenerated
    otherwise. For the Markov chains the request also holds the defaults it relies on (the thermalisation
    and :data:`wirg.lattice_phi4.THIN_PER_TAU` when ``thermalization`` or ``thin`` is not given), so that a
    cache written under other defaults is not reused. Keep ``cache_dir`` outside the
    repository.

    Parameters
    ----------
    kind
        ``"phi4"``: :func:`phi4` with ``params`` among ``beta`` (required), ``thermalization``,
        ``thin``, ``cluster``. ``"ising"``: :func:`wirg.lattice_ising.ising` (int8 spins) with the same
        ``params``. ``"free_field"``: :func:`gaussian_field` of
        :func:`free_field_spectrum` with ``params`` among ``mass``, ``beta``, ``zero_mode``.
        ``"lognormal"``: :func:`wirg.fields.lognormal_field` (the weak-lensing stand-in) with ``params``
        ``exponent`` (required), ``variance``, ``shift``.
    L, n_samples, seed
        Lattice size, number of fields, integer seed.
    cache_dir
        Directory of the cache (created if needed).
    **params
        Parameters of the sampler, JSON-serialisable.

    Returns
    -------
    Dataset
    """
    check_choice("kind", kind, _DATASET_KINDS)
    requested = {"kind": kind, "L": L, "n_samples": n_samples, "seed": seed, **params}
    if kind in ("phi4", "ising"):  # the Markov chain's defaults a request relies on: changing them changes the data
        if "thermalization" not in params:
            requested["default_thermalization"] = DEFAULT_THERMALIZATION
        if "thin" not in params:
            requested["thin_per_tau"] = THIN_PER_TAU
    try:
        canonical = json.dumps(requested, sort_keys=True)
    except TypeError:
        raise TypeError("the parameters of dataset must be JSON-serialisable") from None
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    npy = Path(cache_dir) / f"{kind}_L{L}_n{n_samples}_seed{seed}_{digest}.npy"
    request = json.loads(canonical)  # as it reads back from the sidecar
    if npy.exists() and _sidecar(npy).exists():
        cached = load_dataset(npy)
        metadata = cached.metadata
        if metadata["statlearn_version"] == __version__ and metadata["parameters"].get("request") == request:
            return cached
    if kind == "phi4":
        save_dataset(npy, phi4(L, n_samples=n_samples, seed=seed, **params), request=request)
    elif kind == "ising":
        save_dataset(npy, ising(L, n_samples=n_samples, seed=seed, **params), request=request)  # type: ignore[arg-type]
    else:
        if kind == "free_field":
            fields = gaussian_field(free_field_spectrum(L, **params), L, n_samples, seed=seed)
        else:
            fields = lognormal_field(L, n_samples, seed=seed, **params)  # type: ignore[arg-type]
        save_dataset(npy, fields, **requested, request=request)
    return load_dataset(npy)
