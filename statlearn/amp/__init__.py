"""Message-passing algorithms on the models of :mod:`statlearn.models`: GAMP for generalised linear models;
the committee AMP (K-dimensional GAMP for the committee machine);
AMP, ISTA and FISTA for the LASSO (compressed sensing);
TAP, Bolthausen's AMP and parallel-tempering Monte Carlo for Sherrington-Kirkpatrick instances.

``statlearn.amp.gamp`` is the function (re-exported over its module's name); the module's other
names are imported with ``from statlearn.amp.gamp import ...``.
"""

from statlearn.amp.committee import COMMITTEE_INITS, CommitteeAMPResult, committee_amp, matched_overlap
from statlearn.amp.gamp import INITS, VARIANCE_MODES, GAMPResult, gamp
from statlearn.amp.lasso import ISTAResult, LassoAMPResult, ista, lasso_amp, lasso_kkt_violation, lipschitz_constant
from statlearn.amp.sk import (
    SKAMPResult,
    SKStateEvolution,
    at_stability,
    rs_overlap,
    sk_amp,
    sk_couplings,
    sk_state_evolution,
)
from statlearn.amp.sk_monte_carlo import SKMonteCarloResult, sk_parallel_tempering
from statlearn.amp.tap import TAPResult, tap, tap_free_energy

__all__ = [
    "COMMITTEE_INITS",
    "CommitteeAMPResult",
    "committee_amp",
    "matched_overlap",
    "GAMPResult",
    "gamp",
    "INITS",
    "ISTAResult",
    "LassoAMPResult",
    "ista",
    "lasso_amp",
    "lasso_kkt_violation",
    "lipschitz_constant",
    "VARIANCE_MODES",
    "SKAMPResult",
    "SKMonteCarloResult",
    "SKStateEvolution",
    "TAPResult",
    "at_stability",
    "rs_overlap",
    "sk_amp",
    "sk_couplings",
    "sk_parallel_tempering",
    "sk_state_evolution",
    "tap",
    "tap_free_energy",
]
