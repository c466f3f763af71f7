"""One translation lookup for every text a user reads: flat JSON files under
assets/i18n/<lang>.json map a dotted key to a text with {placeholders}. A key
missing from a language falls back to English, and a key missing everywhere
shows as itself, so a gap is visible but never an error.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

I18N_DIR = Path(__file__).resolve().parents[2] / "assets" / "i18n"
DEFAULT_LANG = "en"
LANGUAGES = ("en", "zh")  # English, Simplified Chinese


@cache
def table(lang: str) -> dict[str, str]:
    path = I18N_DIR / f"{lang}.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in table(lang) or key in table(DEFAULT_LANG)


def translate(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    text = table(lang).get(key) or table(DEFAULT_LANG).get(key) or key
    try:
        return text.format(**values) if values else text
    except (KeyError, IndexError, ValueError):
        return text
