"""proxylm-harness: estimate a large model's multilingual scores from small proxy models.

The predictor core lives in small modules, one per stage: ``languages`` (code
normalisation), ``typology`` (URIEL+ distances), ``records`` (record files),
``features`` (feature specs), ``regressors`` (estimators), ``intervals``
(conformal intervals), ``protocols`` (evaluation splits), ``metrics``,
``artifact`` (saved predictors) and ``benchmark``.
"""

__version__ = "0.1.0"
