"""Look up a model piece (prior, channel) by name, or pass an instance through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def lookup(kind: str, value: Any, base: type, table: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
    """Return ``value`` if it is a ``base`` instance (refusing extra ``params``), else ``table[value]``.

    Raises ``TypeError`` for anything but a name or an instance and ``ValueError`` for an unknown
    name, listing the known ones (``kind`` names the piece in the messages).
    """
    if isinstance(value, base):
        if params:
            raise ValueError(
                f"parameters {sorted(params)} given with a {base.__name__} instance; set them on the instance"
            )
        return value
    if not isinstance(value, str):
        raise TypeError(f"{kind} must be a name or a {base.__name__}, got {type(value).__name__}")
    try:
        return table[value]
    except KeyError:
        plural = kind + ("es" if kind.endswith("s") else "s")
        raise ValueError(f"unknown {kind} {value!r}; known {plural}: {', '.join(table)}") from None
