"""Binary restricted Boltzmann machines and their stacks: exact and AIS partition functions, CD-k/PCD training,
and the TAP (Plefka) free energy with EMF training (Gabrie, Tramel & Krzakala, NeurIPS 2015).

Energy :math:`E(v, h) = -v^\\top W h - b_v^\\top v - b_h^\\top h` with units in {-1, +1} (``spins="pm1"``) or
{0, 1} (``spins="01"``); see :mod:`statlearn.rbm.machine`.
"""

from statlearn.rbm.ais import LogPartition, ais_log_partition, beta_schedule
from statlearn.rbm.dbn import DBN
from statlearn.rbm.machine import RBM
from statlearn.rbm.tap import TAP_METHODS, TAPResult, tap_free_energy, tap_gradient, tap_magnetisations
from statlearn.rbm.training import METHODS, MONITORS, PENALTIES, TrainingHistory, train
from statlearn.rbm.units import MAX_ENUMERATED, SPINS

__all__ = [
    "DBN",
    "MAX_ENUMERATED",
    "METHODS",
    "MONITORS",
    "PENALTIES",
    "RBM",
    "SPINS",
    "TAP_METHODS",
    "LogPartition",
    "TAPResult",
    "TrainingHistory",
    "ais_log_partition",
    "beta_schedule",
    "tap_free_energy",
    "tap_gradient",
    "tap_magnetisations",
    "train",
]
