"""Small synthetic completion problems with a known structure, shared by the completion tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def low_rank(n_families=3, per_family=4, n_cells=40, rank=2, noise=0.02, seed=0):
    """Scores = sigmoid(0.3 log size + u_m . v_c / 2 + noise), u_m a family direction plus a size direction; one
    cell feature tracks v_c's first coordinate. Returns (Y, factors, cell_features)."""
    rng = np.random.default_rng(seed)
    family = np.repeat([f"f{i}" for i in range(n_families)], per_family)
    size = np.tile(np.geomspace(0.3, 30, per_family), n_families)
    V = rng.normal(size=(n_cells, rank))
    direction = {f: rng.normal(size=rank) for f in sorted(set(family))}
    U = np.array([direction[f] * 0.5 + 0.3 * np.log(s) * np.eye(rank)[0] for f, s in zip(family, size)])
    logit = 0.3 * np.log(size)[:, None] + 0.5 * U @ V.T + rng.normal(0, noise, (len(family), n_cells))
    factors = pd.DataFrame({"params_b": size, "family": family})
    features = pd.DataFrame({"x": V[:, 0] + rng.normal(0, 0.1, n_cells)})
    return 1 / (1 + np.exp(-logit)), factors, features


def reveal(Y, target, k, seed=1):
    """A copy of Y whose target row keeps k random cells; (Y', revealed, hidden)."""
    rng = np.random.default_rng(seed)
    revealed = rng.choice(Y.shape[1], k, replace=False)
    out = Y.copy()
    out[target] = np.nan
    out[target, revealed] = Y[target, revealed]
    return out, revealed, np.setdiff1d(np.arange(Y.shape[1]), revealed)


def factor_world(n_cells=30, seed=0, noise=0.01):
    """Scores that follow family x log-size exactly per cell (plus little noise): the factors say everything."""
    rng = np.random.default_rng(seed)
    family = np.repeat(["a", "b", "c"], 5)
    size = np.tile(np.geomspace(0.2, 20, 5), 3)
    base, slope = rng.uniform(-1, 1, n_cells), rng.uniform(0.1, 0.5, n_cells)
    fam_shift = {"a": 0.0, "b": -0.6, "c": 0.6}
    logit = (base[None, :] + slope[None, :] * np.log(size)[:, None] + np.array([fam_shift[f] for f in family])[:, None]
             + rng.normal(0, noise, (len(family), n_cells)))
    return 1 / (1 + np.exp(-logit)), pd.DataFrame({"params_b": size, "family": family}), None


def consensus_world(n_cells=30, seed=0, noise=0.01):
    """Scores = a shared cell profile + a model offset unrelated to size or family: the factors mislead."""
    rng = np.random.default_rng(seed)
    family = np.repeat(["a", "b", "c"], 5)
    size = np.tile(np.geomspace(0.2, 20, 5), 3)
    profile, offset = rng.uniform(-1.5, 1.5, n_cells), rng.normal(0, 0.8, len(family))
    logit = profile[None, :] + offset[:, None] + rng.normal(0, noise, (len(family), n_cells))
    return 1 / (1 + np.exp(-logit)), pd.DataFrame({"params_b": size, "family": family}), None
