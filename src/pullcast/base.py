"""The scikit-learn estimator contract, without depending on scikit-learn.

``__init__`` only stores its keyword arguments under the same names; ``fit`` returns ``self``;
learned state ends in ``_``. :meth:`Estimator.get_params`, :meth:`Estimator.set_params` and
:func:`clone` work from the ``__init__`` signature.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, TypeVar

import numpy as np

from pullcast.errors import ConfigError, NotFittedError

__all__ = ["Estimator", "check_is_fitted", "clone", "is_whole"]


def is_whole(value: Any, low: int) -> bool:
    """Whether ``value`` is an integer (Python or numpy; not a bool) of at least ``low``: the check of
    every integer parameter (windows, lags, seeds, row caps)."""
    return bool(isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low)


E = TypeVar("E", bound="Estimator")


class Estimator:
    """Base class giving ``get_params``/``set_params``/``clone`` and a readable ``repr``."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor arguments, by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self: E, **params: Any) -> E:
        """Set constructor arguments by name; unknown names raise :class:`ConfigError`."""
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ConfigError(f"{type(self).__name__} has no parameter {name!r}; valid: {sorted(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        shown = []
        for name, value in self.get_params().items():
            default = sig.parameters[name].default
            if default is inspect.Parameter.empty or not _same(value, default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def clone(estimator: E) -> E:
    """A new, unfitted estimator with the same constructor arguments (deep-copied)."""
    params = {k: copy.deepcopy(v) for k, v in estimator.get_params().items()}
    return type(estimator)(**params)


def check_is_fitted(estimator: Estimator, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the learned ``attribute``."""
    if getattr(estimator, attribute, None) is None:
        raise NotFittedError(
            f"this {type(estimator).__name__} is not fitted yet: call fit(...) before using it"
        )
