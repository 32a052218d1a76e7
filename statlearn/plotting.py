"""One lecture style for every figure: theory as lines, simulations as points with error bars.

Figures are :class:`matplotlib.figure.Figure` objects made by :func:`figure`, which render with
the non-interactive Agg canvas whatever pyplot backend is active, so they need no display and do
not change the backend of a notebook. Build and save a figure inside :func:`lecture_style`::

    with lecture_style():
        fig, ax = figure()
        theory_line(ax, alpha, q_theory, label="replica")
        simulation_points(ax, alpha_sim, q_mean, q_stderr, label="N = 1000")
        ax.set(xlabel=r"$\\alpha$", ylabel="$q$")
        ax.legend()
        save_figure(fig, out_dir / "overlap.png")
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.cbook import normalize_kwargs
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = [
    "COLORS",
    "DPI",
    "STYLE",
    "figure",
    "lecture_style",
    "save_figure",
    "simulation_points",
    "theory_line",
]

#: Okabe-Ito colours, distinguishable with colour-blindness and in greyscale print.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

#: Resolution of saved PNG files.
DPI = 150

#: rcParams of the lecture style.
STYLE: dict[str, Any] = {
    "figure.figsize": (5.0, 3.6),
    "figure.constrained_layout.use": True,
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 13,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.prop_cycle": cycler(color=COLORS),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "0.9",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "lines.linewidth": 2.0,
    "lines.markersize": 5.0,
    "errorbar.capsize": 3.0,
    "mathtext.fontset": "cm",
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
}


@contextlib.contextmanager
def lecture_style() -> Iterator[None]:
    """Apply :data:`STYLE` inside the ``with`` block and restore the previous rcParams after.

    Most settings act when an artist is created, so create, draw and save the figure inside the
    block.
    """
    with matplotlib.rc_context(STYLE):
        yield


def figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """Create a figure and its axes without pyplot (no display, no figure manager to leak).

    Parameters
    ----------
    nrows, ncols
        Grid of axes, as for :meth:`matplotlib.figure.Figure.subplots`.
    **kwargs
        Passed to :meth:`~matplotlib.figure.Figure.subplots` (``sharex``, ``squeeze`` ...), except
        ``figsize``, which goes to the figure and defaults to ``ncols`` by ``nrows`` times the
        style's size.

    Returns
    -------
    (Figure, Axes or numpy.ndarray of Axes)
        As :func:`matplotlib.pyplot.subplots` returns them.
    """
    width, height = matplotlib.rcParams["figure.figsize"]
    fig = Figure(figsize=kwargs.pop("figsize", (width * ncols, height * nrows)))
    return fig, fig.subplots(nrows, ncols, **kwargs)


def theory_line(ax: Axes, x: Any, y: Any, label: str | None = None, **kwargs: Any) -> Line2D:
    """Draw a theoretical curve as a solid line.

    Parameters
    ----------
    ax
        Axes to draw on.
    x, y
        One-dimensional arrays of equal length.
    label
        Legend entry.
    **kwargs
        Line properties (``color``, ``linestyle`` ...), overriding the defaults.

    Returns
    -------
    matplotlib.lines.Line2D
    """
    x, y = _columns(x=x, y=y)
    style = {"linestyle": "-", "zorder": 2, **normalize_kwargs(kwargs, Line2D)}
    (line,) = ax.plot(x, y, label=label, **style)
    return line


def simulation_points(
    ax: Axes, x: Any, mean: Any, stderr: Any, label: str | None = None, **kwargs: Any
) -> ErrorbarContainer:
    """Draw simulation results as markers with error bars of one standard error.

    Parameters
    ----------
    ax
        Axes to draw on.
    x, mean, stderr
        One-dimensional arrays of equal length: control parameter, mean over seeds, standard
        error of that mean.
    label
        Legend entry.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.errorbar` (``color``, ``marker`` ...), overriding
        the defaults.

    Returns
    -------
    matplotlib.container.ErrorbarContainer
    """
    x, mean, stderr = _columns(x=x, mean=mean, stderr=stderr)
    style = {
        "marker": "o",
        "linestyle": "none",
        "markerfacecolor": "white",
        "markeredgewidth": 1.5,
        "elinewidth": 1.2,
        "zorder": 3,
        **normalize_kwargs(kwargs, Line2D),
    }
    return ax.errorbar(x, mean, yerr=stderr, label=label, **style)


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Save ``fig`` as a PNG at :data:`DPI` with a tight bounding box, then close it.

    Parameters
    ----------
    fig
        The figure.
    path
        Destination; the parent folder is created if needed and the suffix must be ``.png``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.png``.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path must end in .png, got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight", format="png")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:  # a figure made by pyplot is only released by pyplot.close
        pyplot.close(fig)
    return path


def _columns(**arrays: Any) -> list[np.ndarray]:
    columns = [np.asarray(values, dtype=float) for values in arrays.values()]
    for name, column in zip(arrays, columns):
        if column.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {column.shape}")
        if len(column) != len(columns[0]):
            first = next(iter(arrays))
            raise ValueError(f"{name} has length {len(column)} but {first} has length {len(columns[0])}")
    return columns
