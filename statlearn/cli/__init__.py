"""The ``statlearn`` command (also ``python -m statlearn``).

Subcommands:

- ``statlearn reproduce [NAME ...] [--quick | --full] [--out DIR] [--jobs N] [--scheduler ADDRESS]
  [--list]`` runs the registered reproductions, writes ``DIR/report.md`` and exits with 0 only if every check passed;
- ``statlearn capacity [--kappa K] [--binary] [--alpha A] [--json]`` prints the storage capacity
  of the perceptron and, with ``--alpha``, the typical overlap of two of its solutions;
- ``statlearn glm [solve] --prior P --channel C --alpha GRID [--branch B] [--rho R] [--delta D]
  [--json | --csv FILE] [--plot FILE]`` solves the Bayes-optimal generalised linear model on a grid
  of loads (exit status 1 if a point did not converge), and ``statlearn glm thresholds --prior P
  --channel C [--rho R] [--delta D] [--json]`` prints its phase transitions;
- ``statlearn online --K K --M M --eta ETA [--alpha-max A] [--simulate N --seeds S] [--plot FILE]
  [--csv FILE]`` integrates the overlap ODEs of online SGD and compares them with simulations
  (:mod:`statlearn.cli.online`);
- ``statlearn erm --model M --loss L --lam LAM (--gamma GRID | --alpha GRID) [--simulate D --seeds S]
  [--plot FILE] [--csv FILE]`` solves the ERM saddle point of the Gaussian covariate model along a
  grid and optionally trains students at finite size (:mod:`statlearn.cli.erm`);
- ``statlearn wirg gaussian --L L --mass M [--plot FILE] [--json]`` prints the exact per-scale
  couplings and condition numbers of the free field's WIRG (:mod:`statlearn.cli.wirg`);
- ``statlearn ising --L L (--beta B | --T T) --n N --seed S --out FILE.npy [--json]`` samples the 2-D Ising
  model, saves the spins with a JSON sidecar and prints energy and |m| against the exact results
  (:mod:`statlearn.cli.ising`).
- ``statlearn rbm train --data FILE.npy --hidden H --out DIR [--method cd|pcd] [--k K] [--penalty none|l1|l2]
  [--strength S] [--epochs E] [--seed S]`` trains a binary RBM with a progress bar and writes its parameters
  (.npz + JSON) and training history (CSV, JSON) (:mod:`statlearn.cli.rbm`).
- ``statlearn pca-rg --data FILE.npy --fractions 0.01,0.1,1 [--control] [--csv FILE] [--json]`` prints the
  fourth-moment flow of PCA coarse-graining (:mod:`statlearn.cli.pca_rg`).
- ``statlearn mixture --loss L --lam LAM --alpha GRID [--delta D] [--rho R] [--bias] [--json | --csv FILE]
  [--plot FILE]`` solves the ERM saddle point on the two-cluster Gaussian mixture and prints the test error,
  the Bayes-optimal error and the separability threshold (:mod:`statlearn.cli.mixture`).
- ``statlearn dmft --loss L --alpha A --delta D --lam LAM --eta ETA --steps T [--batch-fraction B]
  [--persistence TAU] [--n-samples N] [--replicas R] [--seed S] [--checkpoint DIR] [--json | --csv FILE]
  [--plot FILE]`` integrates the dynamical mean-field theory of GD, SGD and persistent SGD on the Gaussian mixture
  and prints the observables against time (:mod:`statlearn.cli.dmft`).

The package: :mod:`statlearn.cli.command` builds the top-level parser from one module per
subcommand (:mod:`~statlearn.cli.reproduce`, :mod:`~statlearn.cli.capacity`, :mod:`~statlearn.cli.glm`,
:mod:`~statlearn.cli.online`, :mod:`~statlearn.cli.erm`, :mod:`~statlearn.cli.wirg`, :mod:`~statlearn.cli.ising`,
:mod:`~statlearn.cli.rbm`, :mod:`~statlearn.cli.pca_rg`, :mod:`~statlearn.cli.mixture`, :mod:`~statlearn.cli.dmft`), which
share the
helpers of :mod:`statlearn.cli.common`. Each subcommand imports what it needs when it runs, so
``statlearn --help`` stays fast.
"""

from statlearn.cli.command import main

__all__ = ["main"]
