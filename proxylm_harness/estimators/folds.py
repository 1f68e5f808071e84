"""Cross-validation folds that calibrate a predictor's intervals, and which groups a calibration holds out.

The folds decide what an interval is honest about: plain K-fold for rows like the training rows,
language-out folds for languages the predictor has not seen (every row of a held-out language is
validated by models that never saw that language on either side).
"""

from __future__ import annotations

import numpy as np


def cv_splits(n: int, *, n_splits: int = 5, groups=None, random_state: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/validation index pairs; every row is validated exactly once.

    ``groups`` may be None (shuffled K-fold), a 1-D array of group labels (whole groups held out),
    or an ``(n, 2)`` array of language pairs (language-out: a fold holds out a set of languages; a row
    is validated by the fold of one of its two languages, drawn at random, so that both "source
    unseen" and "target unseen" rows are validated; training rows are those with *neither* language
    held out).
    """
    if n < 2:
        raise ValueError(f"Cross-validation needs at least 2 rows. Got {n} instead.")
    if groups is None:
        from sklearn.model_selection import KFold

        k = min(n_splits, n)
        return list(KFold(k, shuffle=True, random_state=random_state).split(np.zeros(n)))
    groups = np.asarray(groups, dtype=object)
    if groups.ndim == 1:
        groups = np.stack([groups, groups], axis=1)
    if groups.shape != (n, 2):
        raise ValueError(f"groups must have shape ({n},) or ({n}, 2). Got {groups.shape} instead.")
    first = groups[:, 0].astype(str)
    second = groups[:, 1].astype(str)
    names = np.unique(np.concatenate([first, second]))
    if len(names) < 2:
        raise ValueError(f"Group-wise cross-validation needs rows of at least 2 groups (languages or runs). Got only "
                         f"{[str(n) for n in names]}. Hint: calibrate on rows instead (--calibration rows).")
    rng = np.random.default_rng(random_state)
    order = rng.permutation(names)
    k = min(n_splits, len(names))
    fold_of_name = {name: i % k for i, name in enumerate(order)}
    side = rng.integers(0, 2, size=n).astype(bool)
    fold_first = np.array([fold_of_name[g] for g in first])
    fold_second = np.array([fold_of_name[g] for g in second])
    fold_of_row = np.where(side, fold_second, fold_first)
    splits = []
    for fold in range(k):
        held = order[fold::k]
        val = np.flatnonzero(fold_of_row == fold)
        touched = np.isin(first, held) | np.isin(second, held)
        train = np.flatnonzero(~touched)
        if len(val) == 0:
            continue
        if len(train) == 0:
            raise ValueError(
                f"Fold {fold} holds out {sorted(held.tolist())} and leaves no training rows; use fewer folds."
            )
        splits.append((train, val))
    return splits


def auto_splits(n: int, *, groups=None, random_state: int = 0, min_share: float = 0.75,
                small: int = 1000, k_range: tuple = (5, 10)) -> list[tuple[np.ndarray, np.ndarray]]:
    """``cv_splits`` with the fewest folds (within ``k_range``) whose models each see enough of the data.

    CV+ intervals are built from fold models; when those saw much less than the full model (language-out
    folds over few languages remove a language's rows on both sides), their residuals overstate the full
    model's error and the intervals over-cover. So: the smallest K whose fold models see at least
    ``min_share`` of the rows on average, and the largest K when there are fewer than ``small`` rows.
    """
    low, high = k_range
    if n < small:
        low = high
    best = None
    for k in range(low, high + 1):
        splits = cv_splits(n, n_splits=k, groups=groups, random_state=random_state)
        best = splits
        if np.mean([len(train) for train, _ in splits]) >= min_share * n:
            break
    return best


def fold_assignment(n: int, splits) -> np.ndarray:
    """For each row, the index of the fold that validates it."""
    fold = np.full(n, -1)
    for k, (_, val) in enumerate(splits):
        fold[val] = k
    if (fold < 0).any():
        raise ValueError(f"{int((fold < 0).sum())} rows are validated by no fold.")
    return fold


#: How the folds of a trained predictor are drawn; ``languages`` is honest for new languages.
CALIBRATIONS = ("languages", "rows", "runs")


def calibration_groups(problem, calibration: str, rows):
    """The ``groups`` argument of ``ProxyPredictor.fit`` for a problem's rows under a calibration mode."""
    if calibration == "rows":
        return None
    if calibration == "runs":
        return problem.runs()[rows]
    if calibration == "languages":
        return problem.language_pairs()[rows]
    raise ValueError(f"calibration must be 'rows', 'runs' or 'languages'. Got {calibration!r} instead.")
