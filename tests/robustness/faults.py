"""Helpers of the fault-injection suite: running a command that obeys file permissions even when the tests run as root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

#: Root may write anything; without these capabilities it obeys file modes like any user.
_DROP = "-dac_override,-dac_read_search,-fowner,-linux_immutable"


def unprivileged(argv: list[str]) -> list[str]:
    """``argv`` so that it runs subject to file permissions (as root: through ``setpriv``, dropping the overrides)."""
    if os.geteuid() != 0:
        return list(argv)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be made to apply")
    return [setpriv, f"--bounding-set={_DROP}", *argv]


def run_unprivileged(argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(unprivileged(argv), capture_output=True, text=True, check=False, timeout=900, **kwargs)


def python_code(code: str, **kwargs) -> subprocess.CompletedProcess:
    """Run Python ``code`` in a fresh interpreter that obeys file permissions."""
    return run_unprivileged([sys.executable, "-c", code], **kwargs)
