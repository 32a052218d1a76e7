"""A model from names: the prior and the channel of a generalised linear model, built from the registries
:data:`statlearn.models.priors.PRIORS` and :data:`statlearn.models.channels.CHANNELS` (losses:
:data:`statlearn.models.losses.LOSSES`)."""

from __future__ import annotations

from typing import Any

from statlearn.models.channels import Channel, get_channel
from statlearn.models.priors import Prior, get_prior

__all__ = ["resolve_model"]


def resolve_model(prior: str | Prior, channel: str | Channel, params: dict[str, Any]) -> tuple[Prior, Channel]:
    """Build the prior and the channel from names (or instances) and keyword parameters.

    ``rho`` goes to the prior (variance of ``gaussian``, density of ``gauss-bernoulli``),
    ``delta`` to the channel (flip probability of ``noisy-sign``, noise variance of ``probit``,
    ``gaussian`` and ``relu``); any other keyword raises ``ValueError``.
    """
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of keyword parameters, got {type(params).__name__}")
    unknown = set(params) - {"rho", "delta"}
    if unknown:
        raise ValueError(f"unknown parameters {sorted(unknown)}; the model takes rho (prior) and delta (channel)")
    prior_params = {"rho": params["rho"]} if "rho" in params else {}
    channel_params = {"delta": params["delta"]} if "delta" in params else {}
    return get_prior(prior, **prior_params), get_channel(channel, **channel_params)
