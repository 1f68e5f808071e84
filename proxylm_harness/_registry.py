"""One registry for every kind of named thing (regressors, protocols, feature kinds, proxies, task families).

A ``Registry`` maps names to objects, filled by a decorator or by lazy ``"module:attribute"`` strings (lm-eval's
habit: the names are known before the module that defines them is imported). An unknown name gets one message
shape everywhere: ``Unknown regressor 'xbg'. Did you mean: 'xgb'? Known: 'lgbm', 'mf', 'poly', 'xgb'.``
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any, Callable, Iterable

__all__ = ["Registry", "close_matches", "did_you_mean", "lazy_exports"]


def close_matches(name: Any, known: Iterable, *, n: int = 3, cutoff: float = 0.6) -> list:
    """The known names closest to ``name``, case-insensitively, best first."""
    lowered = {str(k).lower(): k for k in known}
    return [lowered[c] for c in difflib.get_close_matches(str(name).lower(), list(lowered), n=n, cutoff=cutoff)]


def did_you_mean(name: Any, known: Iterable, *, n: int = 3, cutoff: float = 0.6) -> str:
    """``" Did you mean: 'a', 'b'?"`` for the known names closest to ``name``, else ``""``."""
    close = close_matches(name, known, n=n, cutoff=cutoff)
    return f" Did you mean: {', '.join(map(repr, close))}?" if close else ""


class Registry:
    """Named objects of one ``kind``; ``get`` raises ``error`` (a ValueError subclass) for an unknown name.

    ``register(name)`` is a decorator (or ``register(name, obj)`` a call); ``register_lazy(name, "module:attr")``
    records where an object will come from, imported on first ``get``. Registering the object a lazy entry
    points at replaces the entry; any other second registration of a name is refused.
    """

    def __init__(self, kind: str, *, error: type[Exception] = ValueError, sort_names: bool = False):
        self.kind = kind
        self.error = error
        self.sort_names = sort_names
        self._entries: dict[str, Any] = {}

    def register(self, name: str, obj: Any = None):
        if obj is None:
            def decorate(target):
                self.register(name, target)
                return target
            return decorate
        known = self._entries.get(name)
        if known is not None and known is not obj and known != _location(obj):
            raise ValueError(f"The {self.kind} name {name!r} is already taken by {_describe(known)}.")
        self._entries[name] = obj
        return obj

    def register_lazy(self, name: str, location: str) -> None:
        if name not in self._entries:
            self._entries[name] = location

    def names(self) -> list[str]:
        return sorted(self._entries) if self.sort_names else list(self._entries)

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name in self._entries

    def __iter__(self):
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name, *, hint: str = ""):
        if name not in self:
            raise self.unknown(name, hint=hint)
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            entry = getattr(importlib.import_module(module), attribute)
            self._entries[name] = entry
        return entry

    def __getitem__(self, name):
        return self.get(name)

    def items(self) -> list[tuple[str, Any]]:
        return [(name, self.get(name)) for name in self.names()]

    def values(self) -> list:
        return [self.get(name) for name in self.names()]

    def unknown(self, name, *, hint: str = "") -> Exception:
        """The error for an unknown ``name``: the closest names, every known name, and ``hint``."""
        known = ", ".join(repr(n) for n in self.names()) or "none"
        from ._io import quote

        return self.error(f"Unknown {self.kind} {quote(name)}.{did_you_mean(name, self.names(), cutoff=0.5)} "
                          f"Known: {known}." + (f" {hint}" if hint else ""))


def _location(obj) -> str:
    return f"{getattr(obj, '__module__', '')}:{getattr(obj, '__qualname__', '')}"


def _describe(entry) -> str:
    return entry if isinstance(entry, str) else _location(entry).replace(":", ".")


def lazy_exports(package: str, exports: dict[str, Iterable[str]]) -> tuple[Callable, Callable, list[str]]:
    """``(__getattr__, __dir__, __all__)`` for a package whose names live in its submodules, imported on first use.

    ``exports`` maps a submodule (relative to ``package``) to the names it provides; importing the package
    imports none of them, so ``import proxylm_harness.records`` costs nothing until a name is used.
    """
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name):
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(importlib.import_module(package), name, value)  # later look-ups skip __getattr__
        return value

    def __dir__():
        return sorted(where)

    return __getattr__, __dir__, sorted(where)
