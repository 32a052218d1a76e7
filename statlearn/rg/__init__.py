"""Renormalisation group and machine learning: the decimation RBM (Mehta & Schwab 2014)."""

from statlearn.rg.decimation import Decimation, decimation_rbm

__all__ = ["Decimation", "decimation_rbm"]
