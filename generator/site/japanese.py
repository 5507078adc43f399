"""Japanese done right: gojūon order from readings, readings derived with Janome, no stray spaces."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Kana, kanji and the Japanese punctuation and full-width forms: characters a line break between
# two of them must not turn into a space (browsers other than Firefox show one).
_JP = r"\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\uff66-\uff9f"
_BREAK_BETWEEN_JP = re.compile(rf"(?<=[{_JP}])[ \t]*\r?\n[ \t]*(?=[{_JP}])")
_PRE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>|<script\b.*?</script>|<textarea\b.*?</textarea>)", re.S | re.I)
_SPACE_BETWEEN_JP = re.compile(rf"(?<=[{_JP}]) (?=[{_JP}])")

ROWS = "あかさたなはまやらわ"
_ROW_OF = {}
for _row, _members in zip(
    ROWS,
    (
        "あいうえお",
        "かきくけこ",
        "さしすせそ",
        "たちつてと",
        "なにぬねの",
        "はひふへほ",
        "まみむめも",
        "やゆよ",
        "らりるれろ",
        "わをん",
    ),
):
    for _kana in _members:
        _ROW_OF[_kana] = _row
_SMALL = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_VOWEL = {}
for _vowel, _members in (
    ("あ", "あかさたなはまやらわがざだばぱぁゃゎ"),
    ("い", "いきしちにひみりぎじぢびぴぃ"),
    ("う", "うくすつぬふむゆるぐずづぶぷぅゅっゔ"),
    ("え", "えけせてねへめれげぜでべぺぇ"),
    ("お", "おこそとのほもよろをごぞどぼぽぉょ"),
):
    for _kana in _members:
        _VOWEL[_kana] = _vowel


NO_SPACE_LANGUAGES = ("ja", "zh")


def tidy_html(html: str) -> str:
    """Rendered HTML without the spaces a line break (in Markdown, or folded by YAML) left between two
    Japanese characters; code, preformatted text and scripts are left alone."""
    parts = _PRE.split(html)
    for i in range(0, len(parts), 2):
        parts[i] = _SPACE_BETWEEN_JP.sub("", _BREAK_BETWEEN_JP.sub("", parts[i]))
    return "".join(parts)


def has_space_between_japanese(text: str) -> bool:
    """Whether a plain text shows a space between two Japanese characters."""
    return bool(_SPACE_BETWEEN_JP.search(text))


def hiragana(text: str) -> str:
    """Katakana turned into hiragana (full-width first), other characters kept."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


def sort_key(reading: str) -> tuple:
    """Gojūon order: kana without voicing marks and small forms first, the exact reading to break ties.

    ー counts as the vowel it lengthens (らー sorts as らあ), as Japanese dictionaries do."""
    kana = hiragana(reading)
    primary = []
    for ch in kana:
        base = unicodedata.normalize("NFD", ch)[0].translate(_SMALL)
        if ch == "ー" and primary:
            base = _VOWEL.get(primary[-1], primary[-1])
        primary.append(base)
    return (0 if row(kana) != "#" and primary and primary[0] in _ROW_OF else 1, "".join(primary).casefold(), kana)


def row(reading: str) -> str:
    """The A to Z heading of a reading: its gojūon row (か for ぎょうれつ), else its Latin initial, else #."""
    kana = hiragana(reading)
    if not kana:
        return "#"
    first = unicodedata.normalize("NFD", kana[0])[0].translate(_SMALL)
    if first in _ROW_OF:
        return _ROW_OF[first]
    first = unicodedata.normalize("NFKD", kana[0])[:1].upper()
    return first if first.isascii() and first.isalpha() else "#"


def reading_of(title: str) -> str | None:
    """A kana reading of a title from Janome's dictionary (words it does not know kept as written), or None without Janome."""
    try:
        return _derived(title)
    except ImportError:
        return None


@lru_cache(maxsize=4096)
def _derived(title: str) -> str:
    from janome.tokenizer import Tokenizer  # the Japanese extra: pip install 'glossary-generator[ja]'

    tokenizer = _TOKENIZER.get("t") or _TOKENIZER.setdefault("t", Tokenizer())
    out = []
    for token in tokenizer.tokenize(title):
        reading = token.reading if token.reading not in ("*", "", None) else token.surface
        out.append(hiragana(reading))
    return "".join(out)


_TOKENIZER: dict = {}  # built on first use: loading Janome's dictionary takes a second
