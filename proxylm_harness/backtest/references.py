"""ProxyLM's published errors (XGBoost, "all features", test RMSE) that the benchmark compares against.

Read from the result files of ``davidanugraha/proxylm`` at commit ad0c95e (``proxy_experiments_summary/``):
random and cross-dataset figures are the ``test_rmse`` of the all-features row (mean over seeds 42-46);
lolo is the mean over languages of ``(test_source_rmse + test_target_rmse) / 2``; unseen is the mean of
the per-language, per-side ``test_*_rmse`` columns of the ``train_is_seen`` row (``unseen_reverse``: the
other row); incremental is ``summarized_<target>_xgb.csv``.
"""

from __future__ import annotations

UPSTREAM_COMMIT = "ad0c95e1429cd419c10a1fbcb9b8146bf3e27b28"

# (dataset, target, metric, protocol, portion or None) -> RMSE
_RMSE = {
    ("mt560", "m2m100", "spBLEU", "random", None): 3.2052,
    ("mt560", "nllb", "spBLEU", "random", None): 3.6817,
    ("mt560", "m2m100", "comet", "random", None): 0.0289,
    ("mt560", "nllb", "comet", "random", None): 0.0293,
    ("nusa", "m2m100", "spBLEU", "random", None): 2.4071,
    ("nusa", "nllb", "spBLEU", "random", None): 1.5631,
    ("massive_intent", "aya", "accuracy", "random", None): 6.0868,
    ("massive_intent", "llama3", "accuracy", "random", None): 1.6439,
    ("massive_slot", "aya", "f1", "random", None): 5.6116,
    ("massive_slot", "llama3", "f1", "random", None): 5.0798,
    ("mt560", "m2m100", "spBLEU", "lolo", None): 3.7369,
    ("mt560", "nllb", "spBLEU", "lolo", None): 4.9352,
    ("mt560", "m2m100", "comet", "lolo", None): 0.0454,
    ("mt560", "nllb", "comet", "lolo", None): 0.0613,
    ("nusa", "m2m100", "spBLEU", "lolo", None): 3.7276,
    ("nusa", "nllb", "spBLEU", "lolo", None): 3.7913,
    ("massive_intent", "aya", "accuracy", "lolo", None): 11.1158,
    ("massive_intent", "llama3", "accuracy", "lolo", None): 4.4157,
    ("massive_slot", "aya", "f1", "lolo", None): 8.2986,
    ("massive_slot", "llama3", "f1", "lolo", None): 8.842,
    ("mt560", "m2m100", "spBLEU", "unseen", None): 4.4807,
    ("mt560", "m2m100", "spBLEU", "unseen_reverse", None): 6.4567,
    ("mt560", "m2m100", "spBLEU", "cross_dataset", None): 5.0601,
    ("mt560", "nllb", "spBLEU", "cross_dataset", None): 6.6748,
    **{("mt560", "m2m100", "spBLEU", "incremental", p): v for p, v in zip(
        (0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 0.9, 1.0), (6.17, 5.3382, 4.6265, 4.387, 4.0971, 3.9304, 3.8492, 3.7898))},
    **{("mt560", "nllb", "spBLEU", "incremental", p): v for p, v in zip(
        (0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 0.9, 1.0), (6.8253, 5.8161, 5.0632, 4.5008, 4.2947, 4.0246, 3.9104, 3.7879))},
}


def reference_rmse(dataset: str, target: str, metric: str, protocol: str, portion: float | None = None):
    """ProxyLM's XGBoost RMSE for this cell, or None where it published none."""
    key = (dataset, target, metric, protocol, None if portion is None else round(float(portion), 4))
    return _RMSE.get(key)


def reference_cells() -> list[tuple]:
    """Every cell with a published figure, as (dataset, target, metric, protocol, portion)."""
    return list(_RMSE)
