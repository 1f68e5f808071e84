"""Regressors that map feature rows to a target model's score, all behind scikit-learn's estimator API.

Four are built in: ``xgb`` (gradient-boosted trees, the default), ``lgbm`` (LightGBM; needs
``pip install proxylm-harness[lgbm]``), ``poly`` (element-wise polynomial features + ElasticNet) and
``mf`` (matrix factorisation with side information, for score matrices such as
source language x target language). Each is a ``fit``/``predict`` estimator with a ``random_state``,
a class attribute ``param_grid`` for tuning code that wraps it, and pickle-free ``save``/``load``.

>>> from proxylm_harness.estimators.regressors import get_regressor, regressor_names
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
   :class:`proxylm_harness.estimators.regressors.base.ProxyRegressor`: ``__init__`` only stores keyword
   parameters; ``fit(X, y)`` calls ``self._validate_fit(X, y)``, sets fitted attributes ending in
   ``_`` and returns ``self``; ``predict(X)`` calls ``self._validate_predict(X)``.
2. Give it a ``param_grid`` class attribute and a docstring with Parameters / Attributes / Examples.
3. Implement ``_save_model(directory) -> list[str]`` and ``_load_model(directory)`` with JSON, ``.npz``
   (``allow_pickle=False``) or the library's own model format; never pickle. Read through ``_io.read_json`` /
   ``_io.read_npz``, or pass a path to the library only through ``_io.readable(path)``: a predictor folder is
   then refused before an unlisted file is read.
4. Decorate the class with ``@register_regressor("name")``; for a built-in, also list it in ``_BUILT_IN``
   below, so that its name is known before its module (and scikit-learn) is imported.
   ``get_regressor("name")`` then finds it, and the tests run scikit-learn's ``check_estimator`` on every
   registered regressor.
"""

from __future__ import annotations

from pathlib import Path

from ..._io import read_json, write_json
from ..._registry import Registry

REGRESSOR_FILE = "regressor.json"
DEFAULT_REGRESSOR = "xgb"

#: Regressor classes by name; the built-in ones are imported on first use.
REGRESSORS = Registry("regressor", sort_names=True)
_BUILT_IN = {
    "lgbm": "lgbm:LightGBMRegressor",
    "mf": "mf:MFRegressor",
    "poly": "poly:PolyRegressor",
    "xgb": "xgb:XGBoostRegressor",
}
for _name, _where in _BUILT_IN.items():
    REGRESSORS.register_lazy(_name, f"{__name__}.{_where}")


def register_regressor(name: str):
    """Class decorator: make ``cls`` available as ``get_regressor(name)``."""

    def decorate(cls):
        from .base import ProxyRegressor

        if not (isinstance(cls, type) and issubclass(cls, ProxyRegressor)):
            raise TypeError(f"register_regressor({name!r}) needs a ProxyRegressor subclass. Got {cls!r} instead.")
        REGRESSORS.register(name, cls)
        cls.registry_name = name
        return cls

    return decorate


def regressor_names() -> list[str]:
    """The registered regressor names, sorted."""
    return REGRESSORS.names()


def regressor_class(name: str):
    """The class registered as ``name``; an unknown name raises ``ValueError`` with suggestions."""
    return REGRESSORS.get(name)


def get_regressor(name: str = DEFAULT_REGRESSOR, **params):
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


def save_regressor(estimator, directory) -> list[str]:
    """Save a fitted regressor with a ``regressor.json`` naming it, so :func:`load_regressor` needs no class."""
    name = estimator.registry_name
    if not name or name not in REGRESSORS or REGRESSORS.get(name) is not type(estimator):
        raise ValueError(f"{type(estimator).__name__} is not a registered regressor; register it first.")
    names = estimator.save(directory)
    write_json(Path(directory) / REGRESSOR_FILE, {"regressor": estimator.registry_name, "format_version": 1})
    return [*names, REGRESSOR_FILE]


def load_regressor(directory):
    """Load a regressor written by :func:`save_regressor`."""
    meta = read_json(Path(directory) / REGRESSOR_FILE)
    return regressor_class(meta["regressor"]).load(directory)


_CLASSES = {"LightGBMRegressor": "lgbm", "MFRegressor": "mf", "PolyRegressor": "poly", "XGBoostRegressor": "xgb"}


def __getattr__(name):
    # The classes are importable from here without importing every regressor module up front.
    if name in _CLASSES:
        return REGRESSORS.get(_CLASSES[name])
    if name == "ProxyRegressor":
        from .base import ProxyRegressor

        return ProxyRegressor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_REGRESSOR",
    "LightGBMRegressor",
    "MFRegressor",
    "PolyRegressor",
    "ProxyRegressor",
    "REGRESSORS",
    "XGBoostRegressor",
    "get_regressor",
    "load_regressor",
    "regressor_class",
    "regressor_names",
    "register_regressor",
    "save_regressor",
]
