"""Features: the spec of a predictor's inputs, the one function that builds feature rows, and document features.

``build_features(rows, spec)`` serves training and prediction alike; ``cell_feature_frame(cells)`` gives the features
of a records matrix's cells that the completion estimators read. To add a kind of feature, write
``fn(rows, spec, context) -> DataFrame`` in ``builders``, decorate it with ``@register_feature_kind("name")`` and
list ``"name"`` in the spec's ``kinds``.
"""

from .._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "spec": ["FeatureError", "FeatureSpec", "IDENTIFIER_COLUMNS", "KEY_COLUMNS", "KEY_PREFIX"],
    "builders": ["FEATURE_KINDS", "build_features", "default_spec", "register_feature_kind", "target_values",
                 "unknown_typology"],
    "documents": ["DOCUMENT_FEATURES", "document_features"],
    "cells": ["CELL_FEATURE_GROUPS", "cell_feature_frame", "cell_feature_group", "unknown_languages"],
})
