"""A model's size counted from its config on PyTorch's meta device: no weights are loaded or downloaded."""

from __future__ import annotations

import logging

__all__ = ["count_parameters"]

log = logging.getLogger(__name__)


def count_parameters(pretrained: str) -> float | None:
    """Billions of parameters of ``pretrained`` (a local folder or a hub id whose config is cached), or None when
    its config cannot be read here (a hub id with no network) or builds no model."""
    try:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM

        config = AutoConfig.from_pretrained(pretrained)
        auto = AutoModelForSeq2SeqLM if getattr(config, "is_encoder_decoder", False) else AutoModelForCausalLM
        with torch.device("meta"):
            model = auto.from_config(config)
        return round(sum(p.numel() for p in model.parameters()) / 1e9, 6)
    except Exception as error:  # noqa: BLE001  (any config, any architecture: the size is then simply unknown)
        log.debug("cannot count the parameters of %s: %s", pretrained, error)
        return None
