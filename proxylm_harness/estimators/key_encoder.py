"""Collaborative features: what the target model scored on *other* rows sharing a key (CPP's idea).

:class:`CollaborativeEncoder` replaces each key (a source language, a fine-tuning run, a test set)
with the shrunken mean of the target's training scores for that key. ``fit_transform`` cross-fits,
so a training row never sees its own label; unseen keys fall back to the global mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .folds import cv_splits


def _shrunken_means(keys: np.ndarray, y: np.ndarray) -> tuple[dict, float]:
    """Per-category means shrunk to the global mean by an empirical-Bayes weight."""
    categories, codes = np.unique(np.asarray(keys, dtype=str), return_inverse=True)
    counts = np.bincount(codes).astype(float)
    means = np.bincount(codes, weights=y) / counts
    squares = np.bincount(codes, weights=(y - means[codes]) ** 2)
    global_mean = float(np.mean(y))
    repeated = counts > 1
    # Mean over categories of the sample variance (ddof=1) of categories seen more than once.
    within = float(np.mean(squares[repeated] / (counts[repeated] - 1))) if repeated.any() else float(np.var(y))
    between = float(np.var(means))
    # Same shrinkage as scikit-learn's TargetEncoder(smooth="auto"): m = within / between variance.
    if between > 0:
        lam = counts / (counts + within / between)
        enc = lam * means + (1 - lam) * global_mean
    else:
        enc = np.full(len(categories), global_mean)
    return dict(zip(categories.tolist(), enc.tolist())), global_mean


class CollaborativeEncoder(TransformerMixin, BaseEstimator):
    """Target-encode string key columns with cross-fitting.

    ``y`` may have several columns (say the score and the score minus a reference proxy): every key
    is encoded against every column, key-major.

    Parameters
    ----------
    cv : int, default=5
        Folds used by ``fit_transform`` so that no row is encoded with its own label.
    random_state : int, default=0

    Attributes
    ----------
    encodings_ : list of dict, one ``{category: value}`` per (key column, target column).
    global_means_ : list of float, one per target column
    columns_ : list of str

    Examples
    --------
    >>> import pandas as pd
    >>> keys = pd.DataFrame({"key:source_lang": ["a", "a", "b", "b"]})
    >>> enc = CollaborativeEncoder(cv=2).fit(keys, [1.0, 1.0, 3.0, 3.0])
    >>> enc.transform(pd.DataFrame({"key:source_lang": ["a", "c"]})).round(2).tolist()
    [[1.0], [2.0]]
    """

    def __init__(self, *, cv=5, random_state=0):
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y):
        X = self._frame(X)
        Y = self._targets(y)
        self.columns_ = list(X.columns)
        self.n_targets_ = Y.shape[1]
        self.global_means_ = [float(np.mean(Y[:, t])) for t in range(self.n_targets_)]
        self.encodings_ = [
            _shrunken_means(X[col].to_numpy(), Y[:, t])[0] for col in self.columns_ for t in range(self.n_targets_)
        ]
        return self

    @staticmethod
    def _targets(y) -> np.ndarray:
        Y = np.asarray(y, dtype=float)
        return Y.reshape(len(Y), -1)

    def transform(self, X):
        check_is_fitted(self, "encodings_")
        X = self._frame(X)
        missing = [c for c in self.columns_ if c not in X.columns]
        if missing:
            raise ValueError(f"Collaborative key column(s) {missing} are missing from the rows.")
        out = np.empty((len(X), len(self.encodings_)))
        for j, enc in enumerate(self.encodings_):
            col, t = divmod(j, self.n_targets_)
            default = self.global_means_[t]
            out[:, j] = [enc.get(k, default) for k in X[self.columns_[col]].to_numpy()]
        return out

    def fit_transform(self, X, y, groups=None):
        """Fit on all rows; return cross-fitted encodings (no row is encoded with its own label).

        ``groups`` shapes the cross-fitting folds as in :func:`proxylm_harness.estimators.folds.cv_splits`:
        with language pairs, a row is encoded by an encoder that never saw one of its languages, as a
        row of an unseen language will be at prediction time.
        """
        X = self._frame(X)
        y = self._targets(y)
        self.fit(X, y)
        out = np.empty((len(X), len(self.encodings_)))
        if not self.columns_:
            return out
        if len(X) < 2 or min(self.cv, len(X)) < 2:
            return self.transform(X)
        for train, held in cv_splits(len(X), n_splits=self.cv, groups=groups, random_state=self.random_state):
            fold = CollaborativeEncoder(cv=self.cv).fit(X.iloc[train], y[train])
            out[held] = fold.transform(X.iloc[held])
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "encodings_")
        return np.asarray([f"{c}#{t}" for c in self.columns_ for t in range(self.n_targets_)], dtype=object)

    @staticmethod
    def _frame(X) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X.astype(str)
        return pd.DataFrame(np.asarray(X, dtype=object).astype(str)).rename(columns=str)

    def to_dict(self) -> dict:
        check_is_fitted(self, "encodings_")
        return {
            "params": self.get_params(),
            "columns": self.columns_,
            "global_means": self.global_means_,
            "encodings": self.encodings_,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "CollaborativeEncoder":
        enc = cls(**data["params"])
        enc.columns_ = list(data["columns"])
        enc.global_means_ = [float(v) for v in data["global_means"]]
        enc.n_targets_ = len(enc.global_means_)
        enc.encodings_ = [{str(k): float(v) for k, v in e.items()} for e in data["encodings"]]
        return enc
