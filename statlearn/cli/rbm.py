"""``statlearn rbm train``: train a binary RBM on data on disk by CD-k, PCD or EMF (TAP2/TAP3).

``statlearn rbm train --data FILE.npy --hidden H --out DIR [--method cd|pcd|tap2|tap3] [--k K] [--penalty none|l1|l2]
[--strength S] [--learning-rate ETA] [--momentum MU] [--batch-size B] [--epochs E] [--spins pm1|01]
[--seed S]`` trains :class:`statlearn.rbm.RBM` on the rows of ``FILE.npy`` (n_samples, n_visible), or on
configurations (n_samples, L, L) flattened, behind a progress bar over the epochs, and writes into ``DIR``:
``rbm.json`` + ``params.npz`` (:meth:`RBM.save`: no pickle), ``history.csv`` and ``history.json`` (per-epoch
pseudo-likelihood, reconstruction error, seconds; the settings and how training ended). ``--spins`` defaults
to the data's values: 0/1 data are ``01``, +-1 data ``pm1``. Exit status 1 if training diverged (the
parameters of the last good epoch are written).
"""

from __future__ import annotations

import argparse
import json

from statlearn.cli.common import bounded_float, bounded_int, seed

__all__ = ["add_parser", "run"]

MAX_EPOCHS = 100_000


def add_parser(commands: argparse._SubParsersAction) -> None:
    rbm = commands.add_parser(
        "rbm",
        help="restricted Boltzmann machines (train by CD-k or PCD)",
        description="Binary restricted Boltzmann machines: E(v, h) = -v.W h - b_v.v - b_h.h.",
    )
    sub = rbm.add_subparsers(dest="rbm_command", metavar="COMMAND", required=True)
    train = sub.add_parser(
        "train",
        help="train an RBM on binary data on disk",
        description="Train a binary RBM on the rows of a .npy file by contrastive divergence (CD-k) or persistent "
        "CD, and save its parameters (rbm.json + params.npz) and training history (history.csv, history.json).",
    )
    train.add_argument(
        "--data", required=True, metavar="FILE.npy", help="binary data (n_samples, n_visible) or (n, L, L)"
    )
    train.add_argument("--hidden", type=bounded_int(1, 100_000), required=True, help="number of hidden units")
    train.add_argument("--out", required=True, metavar="DIR", help="directory to write the model and history into")
    train.add_argument(
        "--method", choices=("cd", "pcd", "tap2", "tap3"), default="cd", help="cd (default), pcd, or EMF tap2/tap3"
    )
    train.add_argument("--k", type=bounded_int(1, 10_000), default=1, help="Gibbs sweeps per update (default 1)")
    train.add_argument("--penalty", choices=("none", "l1", "l2"), default="none", help="weight penalty (default none)")
    train.add_argument(
        "--strength", type=bounded_float(0.0, 1e6), default=0.0, help="penalty coefficient (default 0) [%(type)s]"
    )
    train.add_argument(
        "--learning-rate",
        type=bounded_float(0.0, 1e6, low_open=True),
        default=0.01,
        help="learning rate (default 0.01) [%(type)s]",
    )
    train.add_argument(
        "--momentum", type=bounded_float(0.0, 0.999), default=0.5, help="momentum (default 0.5) [%(type)s]"
    )
    train.add_argument(
        "--batch-size",
        type=bounded_int(1, 10**7),
        default=None,
        help="rows per update (default 100, or the number of rows if fewer)",
    )
    train.add_argument(
        "--epochs", type=bounded_int(1, MAX_EPOCHS), default=10, help="passes over the data (default 10)"
    )
    train.add_argument("--spins", choices=("pm1", "01"), default=None, help="unit values (default: from the data)")
    train.add_argument("--seed", type=seed, default=0, help="seed (default 0)")
    train.set_defaults(run=run, parser=train)


def run(args: argparse.Namespace) -> int:
    parser = args.parser
    import numpy as np

    from statlearn.rbm import RBM
    from statlearn.tables import write_csv

    try:
        data = np.load(args.data, allow_pickle=False)
    except (OSError, ValueError) as exc:
        parser.error(f"argument --data: cannot read {args.data!r} as a .npy array: {exc}")
    if data.ndim == 3:
        data = data.reshape(data.shape[0], -1)
    if data.ndim != 2 or data.shape[0] < 1 or data.shape[1] < 1:
        parser.error(f"argument --data: expected an array (n_samples, n_visible) or (n, L, L), got shape {data.shape}")
    if args.batch_size is not None and args.batch_size > data.shape[0]:
        parser.error(f"argument --batch-size: must be <= the {data.shape[0]} rows of the data, got {args.batch_size}")
    spins = args.spins
    if spins is None:
        spins = "pm1" if np.any(data == -1) else "01"
    try:
        rbm = RBM(data.shape[1], args.hidden, spins=spins, seed=args.seed)
        history = rbm.fit(
            data,
            method=args.method,
            k=args.k,
            penalty=args.penalty,
            strength=args.strength,
            learning_rate=args.learning_rate,
            momentum=args.momentum,
            batch_size=args.batch_size,
            epochs=args.epochs,
            seed=args.seed,
            progress=True,
        )
    except (ValueError, TypeError) as exc:
        message = str(exc)  # the sizes (n_visible * n_hidden too large) or the data (not binary)
        parser.error(f"argument {'--hidden' if message.startswith('n_') else '--data'}: {message}")
    try:
        rbm.save(args.out)
        write_csv(history.rows(), f"{args.out}/history.csv")
        summary = {
            "settings": {**history.settings, "seed": args.seed, "data": str(args.data)},
            "converged": history.converged,
            "message": history.message,
            "updates": history.updates,
            "history": history.rows(),
        }
        with open(f"{args.out}/history.json", "w") as handle:
            json.dump(summary, handle, indent=1)
    except OSError as exc:
        parser.error(f"argument --out: cannot write into {args.out!r}: {exc.strerror or exc}")
    print(f"# RBM {rbm.n_visible}-{rbm.n_hidden} ({spins}) saved to {args.out}: {history.message}")
    print(f"{'epoch':>6} {'pseudo-LL':>12} {'recon. error':>13} {'seconds':>8}")
    for e, pl, rec, sec in zip(
        history.epochs, history.pseudo_likelihood, history.reconstruction_error, history.seconds
    ):
        print(f"{e:>6} {pl:>12.5g} {rec:>13.5g} {sec:>8.3f}")
    return 0 if history.converged else 1
