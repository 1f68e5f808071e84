"""Languages: code normalisation (ISO 639-1/639-3, locales, FLORES-200) and URIEL+ typological distances.

``normalize("sw-KE") == "swa"``; ``Typology().distances("deu", "eng")`` gives the six URIEL+ distances;
``resolve("xnli_sw")`` the family and languages of an lm-eval multilingual task (``task_map``, plain data).
To accept another spelling of a language, add it to ``codes._ALIASES`` (or ``_ISO639_1``); to add an lm-eval task
family, add a rule to ``task_map._RULES`` (or an entry to ``task_map.EXPLICIT_ENTRIES``); to change how a
distance is computed, edit ``typology`` and bump its ``_METHOD_VERSION`` so old caches are not reused.
"""

from .._registry import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "codes": ["MACROLANGUAGE_MEMBERS", "UnknownLanguageError", "equivalent_codes", "is_known", "iso639_1",
              "iso639_3", "known_codes", "language_key", "normalize"],
    "typology": ["DISTANCE_KINDS", "Typology", "UnknownTypologyError", "agreement", "distances"],
    "task_map": ["TaskLanguageEntry", "modern_task_name", "resolve"],
})
