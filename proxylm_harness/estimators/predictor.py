"""The trained predictor: collaborative encoding + a registered regressor + conformal intervals, one estimator.

:class:`ProxyPredictor` takes the feature matrix from :func:`proxylm_harness.features.build_features`
(numeric columns, then ``key:`` columns) and the target's scores. Cross-validation inside ``fit``
does three jobs at once: it tunes the regressor (``param_grid``), calibrates the intervals on
out-of-fold errors, and gives the fold models that are averaged with the full model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._io import from_json, read_json, read_npz, to_json, write_json, write_npz
from ..features.spec import KEY_PREFIX
from .folds import auto_splits, cv_splits, fold_assignment
from .intervals import cv_interval, cv_plus
from .key_encoder import CollaborativeEncoder
from .regressors import get_regressor, load_regressor, regressor_class, save_regressor

__all__ = ["ProxyPredictor"]

STATE_FILE = "predictor.json"
CALIBRATION_FILE = "calibration.npz"
ENCODER_FILE = "encoder.json"
_INTERVALS = ("cv", "cv+")


class _Member:
    """One fitted (encoder, regressor) pair."""

    def __init__(self, encoder: CollaborativeEncoder, regressor):
        self.encoder = encoder
        self.regressor = regressor

    def predict(self, numeric: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
        return self.regressor.predict(_join(numeric, self.encoder.transform(keys), self.encoder))


def _join(numeric: pd.DataFrame, encoded: np.ndarray, encoder: CollaborativeEncoder) -> pd.DataFrame:
    if encoded.shape[1] == 0:
        return numeric
    names = [f"cpp:{name[len(KEY_PREFIX):]}" for name in encoder.get_feature_names_out()]
    return pd.concat([numeric, pd.DataFrame(encoded, index=numeric.index, columns=names)], axis=1)


def _take(groups, rows):
    return None if groups is None else np.asarray(groups, dtype=object)[rows]


class ProxyPredictor(RegressorMixin, BaseEstimator):
    """Estimate a target model's score from proxy scores and language/dataset features.

    ``fit(X, y, groups)`` draws cross-validation folds (``groups`` as in
    :func:`proxylm_harness.estimators.folds.cv_splits`: None for row folds, run labels, or language pairs for
    language-out folds), fits one model per fold and one on all rows. The out-of-fold errors pick the
    regressor's parameters from ``param_grid`` and calibrate the intervals.

    Parameters
    ----------
    regressor : str, default="xgb"
        A name from :func:`proxylm_harness.estimators.regressors.regressor_names`.
    regressor_params : dict or None
        Parameters for that regressor (its documented defaults otherwise).
    param_grid : list of dict, "regressor" or None, default=None
        Alternative ``regressor_params`` overrides; each is cross-validated on the training rows and
        the one with the lowest out-of-fold RMSE is kept. ``"regressor"``: every combination of the
        regressor class's documented ``param_grid``. None: no tuning.
    monotone_proxies : tuple of str, default=()
        Numeric columns the estimate must not decrease in (only for regressors with
        ``monotone_constraints``); names absent from the features are ignored.
    reference : str, "auto" or None, default="auto"
        A numeric column (a proxy's score): collaborative keys then also encode the target's score
        *minus* this column, i.e. how far the target runs ahead of the proxy per key. ``"auto"``:
        the column most correlated with the target in the training rows.
    bagging : bool or "auto", default="auto"
        Estimate with the mean of the full model and the fold models (less variance, no extra fit).
        ``"auto"`` does so when the fold models saw at least 75% of the rows on average.
    refit : bool, default=True
        Fit a model on all rows (else the estimate is the mean of the fold models).
    key_folds : {"calibration", "rows"}, default="calibration"
        Folds of the collaborative encoder's cross-fitting: the calibration folds (with language folds a
        row is encoded as if one of its languages were new, as at prediction time) or plain row folds.
    interval : {"cv", "cv+"}, default="cv"
        ``"cv"``: estimate ± the ceil((1-a)(n+1))-th smallest out-of-fold absolute error (Barber et
        al.'s K-fold CV interval, centred on the estimate); ``"cv+"``: CV+ (Barber et al., 2021),
        built from the fold models' predictions, with a finite-sample guarantee of 1-2a but
        conservative when the fold models are much weaker than the full one.
    coverage : float, default=0.9
        Coverage of the intervals.
    cv : int or "auto", default="auto"
        Folds. ``"auto"``: 5 to 10, enough that each fold model sees 75% of the rows (see
        :func:`proxylm_harness.estimators.folds.auto_splits`).
    random_state : int, default=0

    Attributes
    ----------
    model_ : the member fitted on all rows (None when ``refit=False``).
    fold_models_ : list of members fitted without each fold.
    regressor_params_ : dict, the parameters kept after tuning; ``tuning_`` every candidate's CV RMSE.
    oof_, residuals_, fold_of_ : out-of-fold estimates, their absolute errors and each row's fold.
    cv_rmse_ : float, out-of-fold RMSE of the kept parameters.
    reference_ : str or None; bagging_ : bool.
    feature_min_, feature_max_ : training range of each numeric column (for warnings).
    """

    def __init__(
        self,
        *,
        regressor="xgb",
        regressor_params=None,
        param_grid=None,
        monotone_proxies=(),
        reference="auto",
        bagging="auto",
        refit=True,
        key_folds="calibration",
        interval="cv",
        coverage=0.9,
        cv="auto",
        random_state=0,
    ):
        self.regressor = regressor
        self.regressor_params = regressor_params
        self.param_grid = param_grid
        self.monotone_proxies = monotone_proxies
        self.reference = reference
        self.bagging = bagging
        self.refit = refit
        self.key_folds = key_folds
        self.interval = interval
        self.coverage = coverage
        self.cv = cv
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------------
    def _split(self, X):
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"ProxyPredictor needs a DataFrame from build_features. Got {type(X).__name__} instead.")
        keys = [c for c in X.columns if str(c).startswith(KEY_PREFIX)]
        numeric = X.loc[:, [c for c in X.columns if c not in keys]]
        return numeric.astype(float), X.loc[:, keys]

    def _new_regressor(self, params, columns):
        params = dict(params)
        params.setdefault("random_state", self.random_state)
        constrained = {name: 1 for name in self.monotone_proxies if name in columns}
        if constrained:
            params["monotone_constraints"] = constrained
        return get_regressor(self.regressor, **params)

    def _fit_member(self, params, numeric, keys, y, groups=None) -> _Member:
        encoder = CollaborativeEncoder(cv=5, random_state=self.random_state)
        targets = y if self.reference_ is None else np.column_stack([y, y - numeric[self.reference_].to_numpy()])
        encoded = encoder.fit_transform(keys, targets, groups=groups if self.key_folds == "calibration" else None)
        regressor = self._new_regressor(params, numeric.columns).fit(_join(numeric, encoded, encoder), y)
        return _Member(encoder, regressor)

    def _resolve_reference(self, numeric: pd.DataFrame, y: np.ndarray):
        if self.reference is None or len(numeric.columns) == 0:
            return None
        if self.reference == "auto":
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = [abs(np.corrcoef(numeric[c].to_numpy(dtype=float), y)[0, 1]) for c in numeric.columns]
            corr = np.nan_to_num(np.asarray(corr), nan=-1.0)
            return str(numeric.columns[int(np.argmax(corr))])
        if self.reference not in numeric.columns:
            raise ValueError(f"The reference column {self.reference!r} is not among the features {list(numeric.columns)}.")
        return self.reference

    def _check_params(self):
        if self.interval not in _INTERVALS:
            raise ValueError(f"The 'interval' parameter of ProxyPredictor must be one of {_INTERVALS}. "
                             f"Got {self.interval!r} instead.")
        if self.key_folds not in ("calibration", "rows"):
            raise ValueError("The 'key_folds' parameter of ProxyPredictor must be 'calibration' or 'rows'. "
                             f"Got {self.key_folds!r} instead.")
        if not 0 < self.coverage < 1:
            raise ValueError(f"The 'coverage' parameter of ProxyPredictor must be in (0, 1). Got {self.coverage!r} instead.")
        grid = self.param_grid
        if grid is not None and grid != "regressor" and (
                not isinstance(grid, (list, tuple)) or not grid or not all(isinstance(g, dict) for g in grid)):
            raise ValueError("The 'param_grid' parameter of ProxyPredictor must be a non-empty list of dicts, "
                             f"'regressor' or None. Got {grid!r} instead.")

    def _candidates(self) -> list[dict]:
        base = dict(self.regressor_params or {})
        if self.param_grid is None:
            return [base]
        grid = self.param_grid
        if grid == "regressor":
            from sklearn.model_selection import ParameterGrid

            grid = list(ParameterGrid(regressor_class(self.regressor).param_grid)) or [{}]
        return [{**base, **g} for g in grid]

    def _folds(self, n, groups):
        if self.cv == "auto":
            return auto_splits(n, groups=groups, random_state=self.random_state)
        return cv_splits(n, n_splits=self.cv, groups=groups, random_state=self.random_state)

    def fit(self, X, y, groups=None):
        """Tune, calibrate and fit; ``groups`` shapes the folds as in :func:`intervals.cv_splits`."""
        self._check_params()
        numeric, keys = self._split(X)
        y = np.asarray(y, dtype=float)
        if len(y) != len(numeric):
            raise ValueError(f"X has {len(numeric)} rows but y has {len(y)}.")
        if not np.isfinite(y).all():
            raise ValueError("y holds missing or infinite scores; drop those rows before fitting.")
        self.reference_ = self._resolve_reference(numeric, y)
        splits = self._folds(len(y), groups)
        self.fold_of_ = fold_assignment(len(y), splits)
        candidates = self._candidates()
        self.tuning_, best = [], None
        for params in candidates:
            members, oof = [], np.empty(len(y))
            for train, val in splits:
                member = self._fit_member(params, numeric.iloc[train], keys.iloc[train], y[train], _take(groups, train))
                oof[val] = member.predict(numeric.iloc[val], keys.iloc[val])
                members.append(member)
            rmse = float(np.sqrt(np.mean((y - oof) ** 2)))
            self.tuning_.append({"params": params, "cv_rmse": rmse})
            if best is None or rmse < best[0]:
                best = (rmse, params, members, oof)
        self.cv_rmse_, self.regressor_params_, self.fold_models_, self.oof_ = best
        self.residuals_ = np.abs(y - self.oof_)
        self.model_ = self._fit_member(self.regressor_params_, numeric, keys, y, groups) if self.refit else None
        if self.bagging == "auto":
            # Fold models that saw much less than the full data would drag a good full model down.
            self.bagging_ = bool(np.mean([len(train) for train, _ in splits]) >= 0.75 * len(y))
        else:
            self.bagging_ = bool(self.bagging)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.feature_min_ = numeric.min().to_numpy()
        self.feature_max_ = numeric.max().to_numpy()
        return self

    # -- prediction ------------------------------------------------------------------------------
    def _checked(self, X):
        check_is_fitted(self, "fold_models_")
        numeric, keys = self._split(X)
        expected = list(self.feature_names_in_)
        if list(X.columns) != expected:
            missing = [c for c in expected if c not in X.columns]
            extra = [c for c in X.columns if c not in expected]
            raise ValueError(f"Feature columns differ from training: missing {missing}, unexpected {extra}.")
        return numeric, keys

    def predict(self, X) -> np.ndarray:
        return self.predict_with_interval(X)[0]

    def predict_interval(self, X, coverage=None):
        """(lower, upper) arrays at ``coverage`` (default: the estimator's)."""
        return self.predict_with_interval(X, coverage)[1:]

    def predict_with_interval(self, X, coverage=None):
        """(estimate, lower, upper), every member evaluated once."""
        numeric, keys = self._checked(X)
        folds = np.stack([m.predict(numeric, keys) for m in self.fold_models_])
        full = None if self.model_ is None else self.model_.predict(numeric, keys)
        if full is None:
            estimate = folds.mean(axis=0)
        elif self.bagging_:
            estimate = (full + folds.sum(axis=0)) / (len(folds) + 1)
        else:
            estimate = full
        coverage = self.coverage if coverage is None else coverage
        if self.interval == "cv+":
            lower, upper = cv_plus(folds, self.fold_of_, self.residuals_, coverage)
        else:
            lower, upper = cv_interval(estimate, self.residuals_, coverage)
        return estimate, lower, upper

    def out_of_range(self, X) -> list[tuple[int, str, float]]:
        """(row position, feature, value) for every numeric input outside the training range."""
        numeric, _ = self._checked(X)
        values = numeric.to_numpy()
        with np.errstate(invalid="ignore"):
            bad = (values < self.feature_min_) | (values > self.feature_max_)
        rows, cols = np.nonzero(bad)
        return [(int(r), str(numeric.columns[c]), float(values[r, c])) for r, c in zip(rows, cols)]

    # -- persistence (no pickle: JSON, .npz and the regressors' own formats) ----------------------
    def save(self, directory) -> list[str]:
        """Write the fitted predictor into ``directory``; returns the relative paths written."""
        check_is_fitted(self, "fold_models_")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        members = ([("full", self.model_)] if self.model_ is not None else []) + [
            (f"fold-{k}", m) for k, m in enumerate(self.fold_models_)
        ]
        written = []
        for name, member in members:
            folder = directory / "members" / name
            written += [f"members/{name}/{f}" for f in save_regressor(member.regressor, folder)]
            write_json(folder / ENCODER_FILE, member.encoder.to_dict())
            written.append(f"members/{name}/{ENCODER_FILE}")
        write_npz(directory / CALIBRATION_FILE, residuals=self.residuals_, fold_of=self.fold_of_, oof=self.oof_,
                  feature_min=self.feature_min_, feature_max=self.feature_max_)
        write_json(directory / STATE_FILE, {
            "params": to_json(self.get_params()),
            "regressor_params_": to_json(self.regressor_params_),
            "tuning_": to_json(self.tuning_),
            "reference_": self.reference_,
            "bagging_": self.bagging_,
            "cv_rmse_": self.cv_rmse_,
            "feature_names_in_": [str(c) for c in self.feature_names_in_],
            "members": [name for name, _ in members],
        })
        return written + [CALIBRATION_FILE, STATE_FILE]

    @classmethod
    def load(cls, directory) -> "ProxyPredictor":
        """Read a predictor written by :meth:`save`; it predicts exactly as the saved one did."""
        directory = Path(directory)
        state = read_json(directory / STATE_FILE)
        predictor = cls(**from_json(state["params"]))
        predictor.regressor_params_ = from_json(state["regressor_params_"])
        predictor.tuning_ = from_json(state["tuning_"])
        predictor.reference_ = state["reference_"]
        predictor.bagging_ = bool(state["bagging_"])
        predictor.cv_rmse_ = float(state["cv_rmse_"])
        predictor.feature_names_in_ = np.asarray(state["feature_names_in_"], dtype=object)
        arrays = read_npz(directory / CALIBRATION_FILE)
        predictor.residuals_, predictor.oof_ = arrays["residuals"], arrays["oof"]
        predictor.fold_of_ = arrays["fold_of"].astype(int)
        predictor.feature_min_, predictor.feature_max_ = arrays["feature_min"], arrays["feature_max"]
        members = {}
        for name in state["members"]:
            folder = directory / "members" / name
            encoder = CollaborativeEncoder.from_dict(read_json(folder / ENCODER_FILE))
            members[name] = _Member(encoder, load_regressor(folder))
        predictor.model_ = members.pop("full", None)
        predictor.fold_models_ = [members[f"fold-{k}"] for k in range(len(members))]
        return predictor
