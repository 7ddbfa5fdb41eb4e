"""``get_model(name, **params)``: build a model from its short name."""

from __future__ import annotations

import importlib
from typing import Any

from pullcast.base import Estimator
from pullcast.errors import ConfigError

__all__ = ["MODELS", "get_model"]

# short name -> "module:Class", imported on first use so heavy models cost nothing until asked for
MODELS: dict[str, str] = {
    "naive": "pullcast.models.simple:Naive",
    "snaive": "pullcast.models.simple:SeasonalNaive",
    "ma": "pullcast.models.simple:MovingAverage",
    "croston": "pullcast.models.intermittent:Croston",
    "sba": "pullcast.models.intermittent:SBA",
    "tsb": "pullcast.models.intermittent:TSB",
    "adida": "pullcast.models.intermittent:ADIDA",
    "ets": "pullcast.models.ets:ETS",
    "lgbm": "pullcast.models.lgbm:GlobalLGBM",
}


def get_model(name: str, **params: Any) -> Estimator:
    """A new, unfitted model by short name.

    Parameters
    ----------
    name : str
        One of ``naive``, ``snaive``, ``ma``, ``croston``, ``sba``, ``tsb``, ``adida``, ``ets``,
        ``lgbm`` (case-insensitive).
    **params
        Constructor arguments of that model (e.g. ``season_length=7`` for ``snaive``).

    Raises
    ------
    ConfigError
        An unknown name, or parameters the model does not take.
    """
    key = str(name).lower()
    if key not in MODELS:
        raise ConfigError(f"unknown model {name!r}; known models: {sorted(MODELS)}")
    module, cls_name = MODELS[key].split(":")
    cls = getattr(importlib.import_module(module), cls_name)
    try:
        return cls(**params)  # type: ignore[no-any-return]
    except TypeError as exc:
        raise ConfigError(f"model {key!r} does not accept {sorted(params)}: {exc}") from None
