"""Shared plumbing for the regressors: the estimator base class, input checks, monotone constraints."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from ..._io import from_json, read_json, to_json, write_json

PARAMS_FILE = "params.json"
FORMAT_VERSION = 1


class ProxyRegressor(RegressorMixin, BaseEstimator):
    """Base class of every regressor: scikit-learn's estimator contract plus pickle-free ``save``/``load``.

    A subclass sets ``param_grid`` (a small grid for tuning code that wraps the estimator), implements
    ``fit``/``predict`` with :meth:`_validate_fit` and :meth:`_validate_predict`, and writes/reads its
    fitted state in :meth:`_save_model` / :meth:`_load_model`. Parameters, ``n_features_in_`` and
    ``feature_names_in_`` are written to ``params.json`` here.
    """

    #: Name in the regressor registry; set by :func:`proxylm_harness.estimators.regressors.register_regressor`.
    registry_name: ClassVar[str] = ""
    #: A small grid (a few combinations) for hyperparameter search done outside the estimator.
    param_grid: ClassVar[dict[str, list]] = {}
    _parameter_constraints: ClassVar[dict] = {}

    # -- input checks ----------------------------------------------------------------------------
    def _validate_fit(self, X, y, **check_params):
        """Check the parameters and the training data; records ``n_features_in_``/``feature_names_in_``."""
        self._validate_params()
        return validate_data(self, X, y, y_numeric=True, **check_params)

    def _validate_predict(self, X, **check_params):
        """Check that the estimator is fitted and that ``X`` has the columns it was fitted on.

        A DataFrame whose columns differ from the training frame is refused with a message naming the
        unseen and the missing columns (scikit-learn's feature-name check).
        """
        check_is_fitted(self)
        return validate_data(self, X, reset=False, **check_params)

    def _seed(self) -> int:
        """An integer seed derived from ``random_state`` (an int is used as given)."""
        if isinstance(self.random_state, (int, np.integer)) and not isinstance(self.random_state, bool):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    # -- persistence -----------------------------------------------------------------------------
    def save(self, directory) -> list[str]:
        """Write the fitted model into ``directory`` (created if needed) without pickle.

        Returns the names of the files written. Every file is written to a temporary name first and
        renamed into place, so an interrupted save never leaves a half-written file.
        """
        check_is_fitted(self)
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        names = list(self._save_model(directory))
        names_in = getattr(self, "feature_names_in_", None)
        meta = {
            "format_version": FORMAT_VERSION,
            "class": type(self).__name__,
            "regressor": self.registry_name,
            "params": to_json(self.get_params(deep=False)),
            "n_features_in_": int(self.n_features_in_),
            "feature_names_in_": None if names_in is None else [str(n) for n in names_in],
        }
        write_json(directory / PARAMS_FILE, meta)
        return [*names, PARAMS_FILE]

    @classmethod
    def load(cls, directory):
        """Read a model written by :meth:`save`; it predicts exactly as the saved one did."""
        directory = Path(directory)
        meta = read_json(directory / PARAMS_FILE)
        if meta.get("class") != cls.__name__:
            raise ValueError(
                f"{directory / PARAMS_FILE} holds a {meta.get('class')!r}, not a {cls.__name__!r}; "
                "use proxylm_harness.estimators.regressors.load_regressor to load any regressor."
            )
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{directory / PARAMS_FILE} has format_version {meta.get('format_version')!r}; "
                f"this version reads {FORMAT_VERSION}."
            )
        est = cls(**from_json(meta["params"]))
        est.n_features_in_ = int(meta["n_features_in_"])
        if meta["feature_names_in_"] is not None:
            est.feature_names_in_ = np.asarray(meta["feature_names_in_"], dtype=object)
        est._load_model(directory)
        return est

    def _save_model(self, directory: Path) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load_model(self, directory: Path) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


# -- monotone constraints --------------------------------------------------------------------------
def resolve_monotone(constraints, n_features: int, feature_names) -> list[int] | None:
    """Turn ``{feature: +1/-1}`` into one sign per column (0 = unconstrained).

    Keys are column names (when the estimator was fitted on a DataFrame) or integer column positions.
    """
    if constraints is None or len(constraints) == 0:
        return None
    if not isinstance(constraints, dict):
        raise ValueError(
            "The 'monotone_constraints' parameter must be a dict {feature: +1 or -1} or None. "
            f"Got {type(constraints).__name__} instead."
        )
    names = None if feature_names is None else [str(n) for n in feature_names]
    signs = [0] * n_features
    for key, sign in constraints.items():
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if not 0 <= key < n_features:
                raise ValueError(
                    f"monotone_constraints names column {key}, but X has {n_features} feature(s)."
                )
            pos = int(key)
        elif names is not None and key in names:
            pos = names.index(key)
        else:
            known = "X has no column names (fit on a DataFrame or use integer positions)" if names is None \
                else f"Known: {', '.join(names)}"
            raise ValueError(f"monotone_constraints names unknown feature {key!r}. {known}.")
        if sign not in (-1, 0, 1):
            raise ValueError(
                f"monotone_constraints[{key!r}] must be -1, 0 or +1. Got {sign!r} instead."
            )
        signs[pos] = int(sign)
    return signs
