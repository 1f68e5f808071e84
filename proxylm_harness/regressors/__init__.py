"""Regressors that map feature rows to a target model's score, all behind scikit-learn's estimator API.

Four are built in: ``xgb`` (gradient-boosted trees, the default), ``lgbm`` (LightGBM; needs
``pip install proxylm-harness[lgbm]``), ``poly`` (element-wise polynomial features + ElasticNet) and
``mf`` (matrix factorisation with side information, for score matrices such as
source language x target language). Each is a ``fit``/``predict`` estimator with a ``random_state``,
a class attribute ``param_grid`` for tuning code that wraps it, and pickle-free ``save``/``load``.

>>> from proxylm_harness.regressors import get_regressor, regressor_names
>>> regressor_names()
['lgbm', 'mf', 'poly', 'xgb']
>>> get_regressor("poly", degree=3)
PolyRegressor(degree=3)

Saving and loading without knowing the class::

    save_regressor(est, "out/model")      # writes regressor.json + the regressor's own files
    est = load_regressor("out/model")

How to add a regressor
----------------------
1. Write a module here (or anywhere) with a subclass of
   :class:`proxylm_harness.regressors.base.ProxyRegressor`: ``__init__`` only stores keyword
   parameters; ``fit(X, y)`` calls ``self._validate_fit(X, y)``, sets fitted attributes ending in
   ``_`` and returns ``self``; ``predict(X)`` calls ``self._validate_predict(X)``.
2. Give it a ``param_grid`` class attribute and a docstring with Parameters / Attributes / Examples.
3. Implement ``_save_model(directory) -> list[str]`` and ``_load_model(directory)`` with JSON, ``.npz``
   (``allow_pickle=False``) or the library's own model format; never pickle.
4. Decorate the class with ``@register_regressor("name")``; for a built-in, import its module at the
   bottom of this file. ``get_regressor("name")`` then finds it, and tests/test_regressors.py runs
   scikit-learn's ``check_estimator`` on every registered regressor.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .base import ProxyRegressor, read_json, write_json

REGRESSOR_FILE = "regressor.json"
DEFAULT_REGRESSOR = "xgb"

_REGISTRY: dict[str, type[ProxyRegressor]] = {}


def register_regressor(name: str):
    """Class decorator: make ``cls`` available as ``get_regressor(name)``."""

    def decorate(cls):
        if not (isinstance(cls, type) and issubclass(cls, ProxyRegressor)):
            raise TypeError(f"register_regressor({name!r}) needs a ProxyRegressor subclass. Got {cls!r} instead.")
        known = _REGISTRY.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"Regressor name {name!r} is already taken by {known.__module__}.{known.__qualname__}.")
        cls.registry_name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def regressor_names() -> list[str]:
    """The registered regressor names, sorted."""
    return sorted(_REGISTRY)


def regressor_class(name: str) -> type[ProxyRegressor]:
    """The class registered as ``name``; an unknown name raises ``ValueError`` with suggestions."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        pass
    known = regressor_names()
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"Unknown regressor {name!r}.{hint} Known: {', '.join(repr(k) for k in known)}.")


def get_regressor(name: str = DEFAULT_REGRESSOR, **params) -> ProxyRegressor:
    """A new, unfitted regressor ``name`` with the given parameters."""
    cls = regressor_class(name)
    valid = cls._get_param_names()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise TypeError(
            f"Regressor {name!r} ({cls.__name__}) has no parameter(s) {', '.join(map(repr, unknown))}. "
            f"Valid parameters: {', '.join(valid)}."
        )
    return cls(**params)


def save_regressor(estimator: ProxyRegressor, directory) -> list[str]:
    """Save a fitted regressor with a ``regressor.json`` naming it, so :func:`load_regressor` needs no class."""
    if not estimator.registry_name or _REGISTRY.get(estimator.registry_name) is not type(estimator):
        raise ValueError(f"{type(estimator).__name__} is not a registered regressor; register it first.")
    names = estimator.save(directory)
    write_json(Path(directory) / REGRESSOR_FILE, {"regressor": estimator.registry_name, "format_version": 1})
    return [*names, REGRESSOR_FILE]


def load_regressor(directory) -> ProxyRegressor:
    """Load a regressor written by :func:`save_regressor`."""
    meta = read_json(Path(directory) / REGRESSOR_FILE)
    return regressor_class(meta["regressor"]).load(directory)


# Built-in regressors register themselves on import (none imports its library until it is fitted or loaded).
from . import lgbm, mf, poly, xgb  # noqa: E402,F401
from .lgbm import LightGBMRegressor  # noqa: E402
from .mf import MFRegressor  # noqa: E402
from .poly import PolyRegressor  # noqa: E402
from .xgb import XGBoostRegressor  # noqa: E402

__all__ = [
    "DEFAULT_REGRESSOR",
    "LightGBMRegressor",
    "MFRegressor",
    "PolyRegressor",
    "ProxyRegressor",
    "XGBoostRegressor",
    "get_regressor",
    "load_regressor",
    "regressor_class",
    "regressor_names",
    "register_regressor",
    "save_regressor",
]
