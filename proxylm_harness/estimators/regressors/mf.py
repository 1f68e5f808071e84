"""Matrix factorisation with side information: scores as cells of a (row key x column key) matrix."""

from __future__ import annotations

from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils._param_validation import Interval

from . import register_regressor
from ..._io import read_json, read_npz, write_json, write_npz
from .base import ProxyRegressor

ARRAYS_FILE = "mf.npz"
KEYS_FILE = "mf_keys.json"


def _canonical(value):
    """A JSON-friendly, hashable form of one key value; every kind of missing value becomes ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is not None and not isinstance(value, (str, bytes, int, float)):
        raise TypeError(f"A key column's argument must be a string or a number (or missing). "
                        f"Got {type(value).__name__} {value!r} instead.")
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value) is True):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 1000 and 1000.0 name the same cell
    return value


def _keys(X: np.ndarray, positions: list[int]) -> list[tuple]:
    return [tuple(_canonical(v) for v in row) for row in X[:, positions].tolist()] if positions \
        else [()] * X.shape[0]


def _index(keys: list[tuple], vocabulary: list[tuple]) -> np.ndarray:
    """Positions of ``keys`` in ``vocabulary``; unknown keys get ``len(vocabulary)`` (the zero row)."""
    lookup = {k: i for i, k in enumerate(vocabulary)}
    return np.fromiter((lookup.get(k, len(vocabulary)) for k in keys), dtype=np.intp, count=len(keys))


@register_regressor("mf")
class MFRegressor(ProxyRegressor):
    """Matrix factorisation with biases and a linear side-information term.

    Each row of ``X`` names a matrix cell: its matrix row by the ``row_keys`` columns (in ProxyLM, source
    language and training size) and its matrix column by the ``col_keys`` columns (target language).
    Every other column is numeric side information ``z``, standardised inside ``fit``. The prediction is::

        mu + b_row + b_col + <W_row, H_col> + c . z

    fitted to standardised targets by full-batch gradient descent with Adam on the squared error plus
    L2 penalties (weighted by how often a row or column is observed, as in ProxyLM's SGD). A cell may be
    observed several times (e.g. different test sets); the side information tells them apart.
    A row or column not seen in ``fit`` (cold start: a new language) gets zero factors and zero bias,
    so its prediction comes from ``mu`` and the side-information term. Key columns may hold strings or
    numbers; missing key values (NaN/None) are a category of their own. Missing side information is
    replaced by its training mean.

    Parameters
    ----------
    row_keys : tuple of str or int, default=("source_lang", "dataset_size")
        Columns naming the matrix row (names, or integer positions).
    col_keys : tuple of str or int, default=("target_lang",)
        Columns naming the matrix column.
    n_components : int, default=20
        Number of latent factors K.
    learning_rate : float, default=0.03
        Adam step size.
    max_iter : int, default=1000
        Adam steps (full batch).
    reg_factors : float, default=0.1
        L2 penalty on the latent factors W and H (ProxyLM's beta_w, beta_h).
    reg_bias : float, default=0.01
        L2 penalty on row and column biases (ProxyLM's beta_s, beta_t).
    reg_side : float, default=0.01
        L2 penalty on the side-information coefficients c (ProxyLM's beta_z).
    init_scale : float, default=0.1
        Standard deviation of the initial factors.
    random_state : int, RandomState or None, default=0
        Seed of the initial factors; the same seed gives bit-identical predictions.

    Attributes
    ----------
    row_vocabulary_, col_vocabulary_ : list of tuple
        The key values of the matrix rows and columns seen in ``fit``.
    row_factors_, col_factors_ : ndarray of shape (n_rows, K), (n_cols, K)
        W and H.
    row_bias_, col_bias_ : ndarray
        Row and column biases.
    global_bias_ : float
        mu.
    side_coef_ : ndarray
        c, one coefficient per side-information column.
    side_mean_, side_scale_ : ndarray
        Standardisation of the side information.
    y_mean_, y_scale_ : float
        Standardisation of the target (the model is fitted in standard units).
    row_positions_, col_positions_, side_positions_ : list of int
        Column positions of the row keys, the column keys and the side information in ``X``.
    n_iter_ : int
        Adam steps taken (always ``max_iter``: full-batch, no early stop).
    loss_ : float
        Final training objective (standard units).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` got a DataFrame.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from proxylm_harness.estimators.regressors import MFRegressor
    >>> rng = np.random.default_rng(0)
    >>> langs = [f"l{i}" for i in range(8)]
    >>> df = pd.DataFrame([(s, t) for s in langs for t in langs], columns=["src", "tgt"])
    >>> df["proxy"] = rng.uniform(0, 30, size=len(df))
    >>> y = 2 * df["proxy"] + rng.normal(size=len(df))
    >>> est = MFRegressor(row_keys=("src",), col_keys=("tgt",), n_components=4).fit(df, y)
    >>> new = pd.DataFrame({"src": ["unseen"], "tgt": ["l0"], "proxy": [10.0]})
    >>> bool(abs(est.predict(new)[0] - 20) < 3)  # cold start: the side information carries it
    True
    """

    #: ProxyLM searched its SGD step size and side-information penalty; same idea, 4 combinations.
    param_grid = {"learning_rate": [0.01, 0.03], "reg_side": [0.01, 0.1]}

    _parameter_constraints = {
        "row_keys": [tuple, list],
        "col_keys": [tuple, list],
        "n_components": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "reg_factors": [Interval(Real, 0, None, closed="left")],
        "reg_bias": [Interval(Real, 0, None, closed="left")],
        "reg_side": [Interval(Real, 0, None, closed="left")],
        "init_scale": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        row_keys=("source_lang", "dataset_size"),
        col_keys=("target_lang",),
        n_components=20,
        learning_rate=0.03,
        max_iter=1000,
        reg_factors=0.1,
        reg_bias=0.01,
        reg_side=0.01,
        init_scale=0.1,
        random_state=0,
    ):
        self.row_keys = row_keys
        self.col_keys = col_keys
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.reg_factors = reg_factors
        self.reg_bias = reg_bias
        self.reg_side = reg_side
        self.init_scale = init_scale
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, X, y):
        """Fit on ``X`` (key columns + numeric side information) and ``y``; returns ``self``."""
        X, y = self._validate_fit(X, y, dtype=None, ensure_all_finite=False)
        y = np.asarray(y, dtype=np.float64)
        self.row_positions_ = self._positions(self.row_keys, "row_keys")
        self.col_positions_ = self._positions(self.col_keys, "col_keys")
        shared = set(self.row_positions_) & set(self.col_positions_)
        if shared:
            raise ValueError(f"row_keys and col_keys must name different columns; both name {self._names(shared)}.")
        keys = set(self.row_positions_) | set(self.col_positions_)
        self.side_positions_ = [j for j in range(self.n_features_in_) if j not in keys]

        row_keys, col_keys = _keys(X, self.row_positions_), _keys(X, self.col_positions_)
        self.row_vocabulary_ = sorted(set(row_keys), key=repr)
        self.col_vocabulary_ = sorted(set(col_keys), key=repr)
        rows, cols = _index(row_keys, self.row_vocabulary_), _index(col_keys, self.col_vocabulary_)

        side = self._side(X)
        with np.errstate(all="ignore"):
            observed = ~np.isnan(side)
            count = observed.sum(axis=0)
            mean = np.where(count > 0, np.nansum(side, axis=0) / np.maximum(count, 1), 0.0)
            var = np.where(count > 0, np.nansum((side - mean) ** 2, axis=0) / np.maximum(count, 1), 0.0)
        scale = np.sqrt(var)
        scale[~(scale > 10 * np.finfo(np.float64).eps)] = 1.0
        self.side_mean_, self.side_scale_ = mean, scale
        Z = self._standard_side(side)

        self.y_mean_ = float(np.mean(y))
        y_scale = float(np.std(y))
        self.y_scale_ = y_scale if y_scale > 10 * np.finfo(np.float64).eps * max(1.0, abs(self.y_mean_)) else 1.0
        target = (y - self.y_mean_) / self.y_scale_
        self._optimise(rows, cols, Z, target)
        return self

    def _optimise(self, rows, cols, Z, target) -> None:
        n = len(target)
        n_rows, n_cols, K = len(self.row_vocabulary_), len(self.col_vocabulary_), int(self.n_components)
        rng = np.random.default_rng(self._seed())
        params = [
            np.zeros(1),  # mu
            np.zeros(n_rows),
            np.zeros(n_cols),
            rng.normal(0.0, self.init_scale, size=(n_rows, K)),
            rng.normal(0.0, self.init_scale, size=(n_cols, K)),
            np.zeros(Z.shape[1]),
        ]
        # One-hot scatter matrices (rows x samples) sum per-sample gradients into each row / column.
        ones = np.ones(n)
        R = sparse.csr_matrix((ones, (rows, np.arange(n))), shape=(n_rows, n))
        C = sparse.csr_matrix((ones, (cols, np.arange(n))), shape=(n_cols, n))
        # Penalties weighted by how often each row / column is observed, divided by n like the error.
        w_row = np.bincount(rows, minlength=n_rows) / n
        w_col = np.bincount(cols, minlength=n_cols) / n
        rf, rb, rs = float(self.reg_factors), float(self.reg_bias), float(self.reg_side)

        first = [np.zeros_like(p) for p in params]
        second = [np.zeros_like(p) for p in params]
        beta1, beta2, eps, lr = 0.9, 0.999, 1e-8, float(self.learning_rate)
        for step in range(1, int(self.max_iter) + 1):
            mu, b_row, b_col, W, H, coef = params
            Wr, Hc = W[rows], H[cols]
            err = (mu[0] + b_row[rows] + b_col[cols] + np.einsum("ij,ij->i", Wr, Hc) + Z @ coef - target) / n
            grads = [
                np.array([err.sum()]),
                R @ err + rb * w_row * b_row,
                C @ err + rb * w_col * b_col,
                R @ (err[:, None] * Hc) + rf * w_row[:, None] * W,
                C @ (err[:, None] * Wr) + rf * w_col[:, None] * H,
                Z.T @ err + rs * coef,
            ]
            correction1, correction2 = 1 - beta1**step, 1 - beta2**step
            for p, g, m, v in zip(params, grads, first, second):
                m *= beta1
                m += (1 - beta1) * g
                v *= beta2
                v += (1 - beta2) * g * g
                p -= lr * (m / correction1) / (np.sqrt(v / correction2) + eps)

        mu, b_row, b_col, W, H, coef = params
        self.global_bias_ = float(mu[0])
        self.row_bias_, self.col_bias_, self.row_factors_, self.col_factors_, self.side_coef_ = b_row, b_col, W, H, coef
        resid = self._standard_predict(rows, cols, Z) - target
        self.n_iter_ = int(self.max_iter)
        self.loss_ = float(
            0.5 * np.mean(resid**2)
            + 0.5 * rf * (w_row @ (W**2).sum(axis=1) + w_col @ (H**2).sum(axis=1))
            + 0.5 * rb * (w_row @ b_row**2 + w_col @ b_col**2)
            + 0.5 * rs * coef @ coef
        )

    # -- prediction ------------------------------------------------------------------------------
    def predict(self, X):
        """Predicted scores; unseen rows or columns get zero factors and zero bias (cold start)."""
        X = self._validate_predict(X, dtype=None, ensure_all_finite=False)
        rows = _index(_keys(X, self.row_positions_), self.row_vocabulary_)
        cols = _index(_keys(X, self.col_positions_), self.col_vocabulary_)
        return self.y_mean_ + self.y_scale_ * self._standard_predict(rows, cols, self._standard_side(self._side(X)))

    def _standard_predict(self, rows, cols, Z):
        zero = np.zeros((1, self.row_factors_.shape[1]))
        W = np.vstack([self.row_factors_, zero])
        H = np.vstack([self.col_factors_, zero])
        b_row = np.append(self.row_bias_, 0.0)
        b_col = np.append(self.col_bias_, 0.0)
        return (self.global_bias_ + b_row[rows] + b_col[cols] + np.einsum("ij,ij->i", W[rows], H[cols])
                + Z @ self.side_coef_)

    # -- helpers ---------------------------------------------------------------------------------
    def _positions(self, keys, param: str) -> list[int]:
        names = getattr(self, "feature_names_in_", None)
        names = None if names is None else [str(n) for n in names]
        out = []
        for key in keys:
            if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
                if not 0 <= key < self.n_features_in_:
                    raise ValueError(f"{param} names column {key}, but X has {self.n_features_in_} feature(s).")
                out.append(int(key))
            elif names is None:
                raise ValueError(
                    f"{param} names column {key!r}, but X has no column names: pass a DataFrame or give "
                    f"integer positions (X has {self.n_features_in_} feature(s))."
                )
            elif key in names:
                out.append(names.index(key))
            else:
                raise ValueError(
                    f"{param} names column {key!r}, which X does not have. X has {self.n_features_in_} "
                    f"feature(s): {', '.join(names)}."
                )
        return out

    def _names(self, positions) -> str:
        names = getattr(self, "feature_names_in_", None)
        return ", ".join(repr(names[j] if names is not None else j) for j in sorted(positions))

    def _side(self, X: np.ndarray) -> np.ndarray:
        """The side-information columns as float64 (missing values stay NaN; infinities are refused)."""
        side = X[:, self.side_positions_]
        try:
            side = np.asarray(side, dtype=np.float64)
        except (TypeError, ValueError):
            bad = []
            for k, j in enumerate(self.side_positions_):
                try:
                    np.asarray(side[:, k], dtype=np.float64)
                except (TypeError, ValueError):
                    bad.append(j)
            raise ValueError(
                f"Side-information column(s) {self._names(bad)} are not numeric; name them in row_keys or "
                "col_keys, or drop them."
            ) from None
        if np.isinf(side).any():
            bad = np.flatnonzero(np.isinf(side).any(axis=0))
            raise ValueError(
                f"Input X contains infinity in side-information column(s) "
                f"{self._names([self.side_positions_[k] for k in bad])}."
            )
        return side

    def _standard_side(self, side: np.ndarray) -> np.ndarray:
        Z = (side - self.side_mean_) / self.side_scale_
        Z[np.isnan(Z)] = 0.0  # missing side information: the training mean
        return Z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Key columns may hold NaN (a category of its own) and missing side information is imputed,
        # so NaN is valid input; infinity in side information is still refused.
        tags.input_tags.allow_nan = True
        return tags

    # -- persistence -----------------------------------------------------------------------------
    def _save_model(self, directory: Path) -> list[str]:
        write_npz(
            directory / ARRAYS_FILE,
            row_factors=self.row_factors_,
            col_factors=self.col_factors_,
            row_bias=self.row_bias_,
            col_bias=self.col_bias_,
            side_coef=self.side_coef_,
            side_mean=self.side_mean_,
            side_scale=self.side_scale_,
            scalars=np.array([self.global_bias_, self.y_mean_, self.y_scale_, self.loss_]),
        )
        write_json(
            directory / KEYS_FILE,
            {
                "row_vocabulary": [list(k) for k in self.row_vocabulary_],
                "col_vocabulary": [list(k) for k in self.col_vocabulary_],
                "row_positions": self.row_positions_,
                "col_positions": self.col_positions_,
                "side_positions": self.side_positions_,
            },
        )
        return [ARRAYS_FILE, KEYS_FILE]

    def _load_model(self, directory: Path) -> None:
        arrays = read_npz(directory / ARRAYS_FILE)
        keys = read_json(directory / KEYS_FILE)
        self.row_factors_, self.col_factors_ = arrays["row_factors"], arrays["col_factors"]
        self.row_bias_, self.col_bias_ = arrays["row_bias"], arrays["col_bias"]
        self.side_coef_, self.side_mean_, self.side_scale_ = arrays["side_coef"], arrays["side_mean"], arrays["side_scale"]
        self.global_bias_, self.y_mean_, self.y_scale_, self.loss_ = (float(v) for v in arrays["scalars"])
        self.n_iter_ = int(self.max_iter)
        self.row_vocabulary_ = [tuple(k) for k in keys["row_vocabulary"]]
        self.col_vocabulary_ = [tuple(k) for k in keys["col_vocabulary"]]
        self.row_positions_ = [int(j) for j in keys["row_positions"]]
        self.col_positions_ = [int(j) for j in keys["col_positions"]]
        self.side_positions_ = [int(j) for j in keys["side_positions"]]
