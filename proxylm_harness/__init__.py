"""proxylm-harness: estimate a large model's multilingual lm-eval scores from small proxy models.

``proxylm_harness.estimate(target, tasks)`` returns lm-eval's results dict with estimates in place of measurements.
The code is in subpackages by stage, lowest first: ``languages`` (codes, URIEL+ typology), ``features``
(feature specs and builders), ``records`` (record files, regression problems), ``estimators`` (regressors,
intervals, the predictor and its artifacts), ``backtest`` (protocols and the benchmark suite),
``lm_eval_bridge`` (everything that imports lm-eval), ``pipeline`` (proxylm-eval's stages) and ``cli`` (the two
commands). ``families`` holds the task families as data.
"""

__version__ = "0.1.0"

from ._registry import lazy_exports  # noqa: E402

__getattr__, __dir__, _exported = lazy_exports(__name__, {"pipeline.api": ["estimate"]})
__all__ = ["__version__", *_exported]
