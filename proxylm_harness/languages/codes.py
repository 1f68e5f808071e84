"""Language-code normalisation: ISO 639-1/639-3, MASSIVE locales and FLORES-200 codes to ISO 639-3.

``normalize`` gives the code typology uses; ``language_key`` keeps a non-default script (``zh-TW`` -> ``zho_Hant``).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re

from .._io import quote
from .._registry import close_matches

__all__ = [
    "UnknownLanguageError",
    "normalize",
    "language_key",
    "iso639_3",
    "is_known",
    "known_codes",
    "equivalent_codes",
    "MACROLANGUAGE_MEMBERS",
]


class UnknownLanguageError(ValueError):
    """A language code that is not ISO 639-1/639-3, a MASSIVE locale or a FLORES-200 code."""


# ISO 639-1 -> ISO 639-3 (the 639-2/T code, i.e. the macro code where there is one), plus the
# withdrawn two-letter codes still seen in the wild (iw, in, ji, mo, sh).
_ISO639_1 = {
    "aa": "aar", "ab": "abk", "ae": "ave", "af": "afr", "ak": "aka", "am": "amh", "an": "arg",
    "ar": "ara", "as": "asm", "av": "ava", "ay": "aym", "az": "aze", "ba": "bak", "be": "bel",
    "bg": "bul", "bi": "bis", "bm": "bam", "bn": "ben", "bo": "bod", "br": "bre", "bs": "bos",
    "ca": "cat", "ce": "che", "ch": "cha", "co": "cos", "cr": "cre", "cs": "ces", "cu": "chu",
    "cv": "chv", "cy": "cym", "da": "dan", "de": "deu", "dv": "div", "dz": "dzo", "ee": "ewe",
    "el": "ell", "en": "eng", "eo": "epo", "es": "spa", "et": "est", "eu": "eus", "fa": "fas",
    "ff": "ful", "fi": "fin", "fj": "fij", "fo": "fao", "fr": "fra", "fy": "fry", "ga": "gle",
    "gd": "gla", "gl": "glg", "gn": "grn", "gu": "guj", "gv": "glv", "ha": "hau", "he": "heb",
    "hi": "hin", "ho": "hmo", "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye", "hz": "her",
    "ia": "ina", "id": "ind", "ie": "ile", "ig": "ibo", "ii": "iii", "ik": "ipk", "io": "ido",
    "is": "isl", "it": "ita", "iu": "iku", "ja": "jpn", "jv": "jav", "ka": "kat", "kg": "kon",
    "ki": "kik", "kj": "kua", "kk": "kaz", "kl": "kal", "km": "khm", "kn": "kan", "ko": "kor",
    "kr": "kau", "ks": "kas", "ku": "kur", "kv": "kom", "kw": "cor", "ky": "kir", "la": "lat",
    "lb": "ltz", "lg": "lug", "li": "lim", "ln": "lin", "lo": "lao", "lt": "lit", "lu": "lub",
    "lv": "lav", "mg": "mlg", "mh": "mah", "mi": "mri", "mk": "mkd", "ml": "mal", "mn": "mon",
    "mr": "mar", "ms": "msa", "mt": "mlt", "my": "mya", "na": "nau", "nb": "nob", "nd": "nde",
    "ne": "nep", "ng": "ndo", "nl": "nld", "nn": "nno", "no": "nor", "nr": "nbl", "nv": "nav",
    "ny": "nya", "oc": "oci", "oj": "oji", "om": "orm", "or": "ori", "os": "oss", "pa": "pan",
    "pi": "pli", "pl": "pol", "ps": "pus", "pt": "por", "qu": "que", "rm": "roh", "rn": "run",
    "ro": "ron", "ru": "rus", "rw": "kin", "sa": "san", "sc": "srd", "sd": "snd", "se": "sme",
    "sg": "sag", "si": "sin", "sk": "slk", "sl": "slv", "sm": "smo", "sn": "sna", "so": "som",
    "sq": "sqi", "sr": "srp", "ss": "ssw", "st": "sot", "su": "sun", "sv": "swe", "sw": "swa",
    "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "ti": "tir", "tk": "tuk", "tl": "tgl",
    "tn": "tsn", "to": "ton", "tr": "tur", "ts": "tso", "tt": "tat", "tw": "twi", "ty": "tah",
    "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzb", "ve": "ven", "vi": "vie", "vo": "vol",
    "wa": "wln", "wo": "wol", "xh": "xho", "yi": "yid", "yo": "yor", "za": "zha", "zh": "zho",
    "zu": "zul",
    "iw": "heb", "in": "ind", "ji": "yid", "mo": "ron", "sh": "hbs",
}

# Macro-language -> its principal individual member; both map to the macro code. Only macro-languages
# with one clearly dominant member are listed (not que, ful, hbs, ...: their members stay distinct).
# The macro code is the canonical side because (1) it is what ISO 639-1 codes, MASSIVE locales and most
# task configs say (zh, ms, sw), and (2) URIEL+ files most typological data under it: lvs, ory, pbt and
# dik have no syntax features at all, ekk and nob no family-tree node. typology still consults the member
# where it has more data (equivalent_codes). Other members stay themselves: ind is not Malay, arz is not
# Standard Arabic, nno is not nor.
MACROLANGUAGE_MEMBERS = {
    "ara": "arb", "aym": "ayr", "aze": "azj", "din": "dik", "est": "ekk", "fas": "pes", "grn": "gug",
    "kau": "knc", "kur": "kmr", "lav": "lvs", "mlg": "plt", "mon": "khk", "msa": "zsm", "nep": "npi",
    "nor": "nob", "ori": "ory", "orm": "gaz", "pus": "pbt", "sqi": "als", "swa": "swh", "uzb": "uzn",
    "yid": "ydd", "zho": "cmn",
}
_MEMBER_TO_MACRO = {member: macro for macro, member in MACROLANGUAGE_MEMBERS.items()}

# Other three-letter spellings of the same language. ISO 639-2/B codes are listed only where they are
# not themselves ISO 639-3 codes (``alb`` and ``gre`` are, so they keep their 639-3 meaning).
_ALIASES = {
    "arm": "hye", "baq": "eus", "bur": "mya", "chi": "zho", "cze": "ces", "dut": "nld", "fre": "fra",
    "geo": "kat", "ger": "deu", "ice": "isl", "mac": "mkd", "mao": "mri", "may": "msa", "per": "fas",
    "rum": "ron", "slo": "slk", "tib": "bod", "wel": "cym",
    "mol": "ron",  # retired ISO 639-3 code for Moldavian
    # Filipino is the standardised register of Tagalog; MASSIVE (tl-PH) and FLORES (tgl_Latn) say tgl,
    # and URIEL+ has no typological data under fil.
    "fil": "tgl",
}

# Codes used in the ProxyLM records that are not individual ISO 639-3 codes. NusaTranslation's "btk"
# is the ISO 639-5 collective code for the Batak languages; kept as its own language.
_EXTRA_CODES = frozenset({"btk"})

# Default script of languages commonly written in more than one; a script tag other than the default
# is kept by ``language_key``. For languages not listed here a script tag is dropped.
_DEFAULT_SCRIPT = {
    "ace": "Latn", "ara": "Arab", "aze": "Latn", "ben": "Beng", "bjn": "Latn", "bos": "Latn", "ckb": "Arab",
    "hau": "Latn", "hin": "Deva", "jav": "Latn", "kas": "Arab", "kau": "Latn", "kaz": "Cyrl",
    "kir": "Cyrl", "kur": "Latn", "min": "Latn", "mni": "Beng", "mon": "Cyrl", "msa": "Latn", "nep": "Deva",
    "pan": "Guru", "san": "Deva", "sat": "Olck", "sin": "Sinh", "snd": "Arab", "som": "Latn", "srp": "Cyrl",
    "taq": "Latn", "tat": "Cyrl", "tgk": "Cyrl", "tuk": "Latn", "tzm": "Tfng", "urd": "Arab",
    "uzb": "Latn", "yid": "Hebr", "yue": "Hant", "zho": "Hans",
}
# Scripts that name the same writing as the default one ("Hani" is Han without a variant).
_SAME_AS_DEFAULT = {("zho", "Hani"), ("yue", "Hani")}
# Chinese locales whose region implies Traditional characters.
_HANT_REGIONS = frozenset({"TW", "HK", "MO"})
_CHINESE = frozenset({"zho", "yue"})

_SUBTAG = re.compile(r"[A-Za-z0-9]+")
_HINT = (
    "Hint: pass an ISO 639-1 code ('sw'), an ISO 639-3 code ('swh'), a locale ('sw-KE') or a "
    "FLORES-200 code ('swh_Latn'); proxylm_harness.languages.known_codes() lists the accepted codes."
)


@functools.lru_cache(maxsize=1)
def _iso639_3_universe() -> frozenset:
    """ISO 639-3 codes known to URIEL+ (read from the data shipped in the urielplus package)."""
    # find_spec instead of import: importing urielplus reconfigures the root logger.
    spec = importlib.util.find_spec("urielplus")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "urielplus is not installed; it provides the ISO 639-3 code list. "
            "Hint: pip install 'urielplus==1.3.2'."
        )
    path = os.path.join(
        spec.submodule_search_locations[0], "database", "original_uriel", "features.npz"
    )
    import numpy as np  # deferred: keeps `import proxylm_harness.languages` light

    with np.load(path, allow_pickle=False) as archive:
        return frozenset(str(code) for code in archive["langs"])


@functools.lru_cache(maxsize=1)
def known_codes() -> frozenset:
    """Every bare language code ``normalize`` accepts (ISO 639-1, ISO 639-3 and aliases)."""
    return frozenset(_iso639_3_universe() | _ISO639_1.keys() | _ALIASES.keys() | _EXTRA_CODES)


def _unknown(code: str, part: str) -> UnknownLanguageError:
    close = close_matches(part, sorted(known_codes()), n=5)
    suggestion = f" Closest known codes: {', '.join(close)}." if close else ""
    return UnknownLanguageError(f"Unknown language code {quote(code, 60)}.{suggestion} {_HINT}")


def _canonical_language(code: str, part: str) -> str:
    part = part.lower()
    if len(part) == 2:
        iso3 = _ISO639_1.get(part)
    elif part in _ALIASES:
        iso3 = _ALIASES[part]
    elif len(part) == 3 and (part in _iso639_3_universe() or part in _EXTRA_CODES):
        iso3 = part
    else:
        iso3 = None
    if iso3 is None:
        raise _unknown(code, part)
    return _MEMBER_TO_MACRO.get(iso3, iso3)


@functools.lru_cache(maxsize=4096)
def _parse(code: str) -> tuple[str, str | None]:
    """(canonical ISO 639-3 code, non-default script or None)."""
    if not isinstance(code, str):
        raise TypeError(f"A language code must be a str. Got {type(code).__name__} instead.")
    text = code.strip()
    parts = re.split(r"[-_]", text)
    if not text or not all(_SUBTAG.fullmatch(p) for p in parts):
        raise _unknown(code, text or "?")
    language = _canonical_language(code, parts[0])
    script = region = None
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha() and script is None:
            script = part.title()
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            region = part.upper()
        else:
            raise UnknownLanguageError(
                f"Cannot read subtag {quote(part)} of language code {quote(code)}: expected a script "
                f"('Latn', 'Hant') or a region ('KE', 'TW'). {_HINT}"
            )
    if script is None and region in _HANT_REGIONS and language in _CHINESE:
        script = "Hant"
    default = _DEFAULT_SCRIPT.get(language)
    if script is None or default is None or script == default or (language, script) in _SAME_AS_DEFAULT:
        return language, None
    return language, script


def normalize(code: str) -> str:
    """Canonical ISO 639-3 code of ``code``; macro-language and principal member give the same code.

    >>> normalize("zh-TW"), normalize("cmn_Hani"), normalize("swh_Latn"), normalize("ZH-tw ")
    ('zho', 'zho', 'swa', 'zho')
    """
    return _parse(code)[0]


def language_key(code: str) -> str:
    """``normalize(code)`` plus ``_<Script>`` when the code names a non-default script.

    >>> language_key("zh-CN"), language_key("zh-TW"), language_key("zho_Hant"), language_key("af_ZA")
    ('zho', 'zho_Hant', 'zho_Hant', 'afr')
    """
    language, script = _parse(code)
    return f"{language}_{script}" if script else language


def iso639_3(key: str) -> str:
    """The ISO 639-3 code of a language key (drops a script suffix): ``iso639_3("zho_Hant") == "zho"``."""
    return normalize(key)


def is_known(code: str) -> bool:
    """Whether ``normalize`` accepts ``code``."""
    try:
        _parse(code)
    except (UnknownLanguageError, TypeError):
        return False
    return True


def equivalent_codes(code: str) -> tuple[str, ...]:
    """ISO 639-3 codes that denote the same language, canonical code first.

    >>> equivalent_codes("sw-KE"), equivalent_codes("deu")
    (('swa', 'swh'), ('deu',))
    """
    language = normalize(code)
    member = MACROLANGUAGE_MEMBERS.get(language)
    return (language, member) if member else (language,)


def iso639_1(code: str) -> str | None:
    """The ISO 639-1 code of a language (``"swh_Latn"`` -> ``"sw"``), or None where it has none.

    >>> iso639_1("swh_Latn"), iso639_1("zh-TW"), iso639_1("ceb")
    ('sw', 'zh', None)
    """
    language = normalize(code)
    return _ISO639_1_OF.get(language)


_ISO639_1_OF = {}
for _two, _three in sorted(_ISO639_1.items()):
    _ISO639_1_OF.setdefault(_MEMBER_TO_MACRO.get(_three, _three), _two)
