"""Message-passing algorithms on the models of :mod:`statlearn.models`: GAMP for generalised linear models.

``statlearn.amp.gamp`` is the function (re-exported over its module's name); the module's other
names are imported with ``from statlearn.amp.gamp import ...``.
"""

from statlearn.amp.gamp import INITS, VARIANCE_MODES, GAMPResult, gamp

__all__ = ["GAMPResult", "gamp", "INITS", "VARIANCE_MODES"]
