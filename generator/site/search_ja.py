"""Japanese search: segment the search index at build time with Janome.

Material for MkDocs searches Japanese with lunr and TinySegmenter, in the browser. TinySegmenter
splits words such as 低ランク or 言語モデル into pieces, while the query is kept whole and matched as
a prefix (`低ランク*`), so such queries find nothing. Here the index is segmented at build time
instead, and the browser only splits at separators:

- Japanese runs of each entry's title and text are cut into words with Janome; runs of nouns
  (with their prefixes and suffixes) stay together as one compound (低ランク, 大規模言語モデル).
  A zero-width space (U+200B) goes between words, so the text shown in results looks unchanged.
- Every compound's inner starting points (言語モデル and モデル of 大規模言語モデル) go into an extra
  `words` field, which lunr indexes but results do not show, so a query for a part of a compound
  finds it too (Material matches every query term as a prefix).
- A word written in kanji only gets an invisible WORD JOINER (U+2060) appended. Material's query
  code cuts a query's kanji run into the longest index words it finds at its start (a heuristic
  for Chinese, which turns 大規模言語モデル into 大規模モデル once 大規模 is a word of the index);
  with no index word made of kanji only, it leaves the query whole, and the query still matches
  the word as a prefix.
- The index config is rewritten: `lang: [en]` so the browser loads no TinySegmenter (with `ja` it
  would cut our words again), `pipeline: []` (lunr's English trimmer would delete every Japanese
  character, its stemmer and stop words are for English), and a `separator` that splits at white
  space, U+200B and Japanese and Latin punctuation. The same separator drives the highlighting of
  the query on the page that a search result opens.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

SEPARATOR = r"[\s\u200b\-、。，．・：；！？「」『』（）［］【】〈〉《》〔〕｛｝“”‘’\"'()\[\]{}<>,.:;!?/]+"
ZWSP = "\u200b"
JOINER = "\u2060"
KANJI_ONLY = re.compile(r"[\u3005\u3006\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORDS_FIELD = "words"
WORDS_BOOST = 0.5

# Runs of Japanese script: kanji (with 々〆ヵヶ), hiragana, katakana (with ー), half-width katakana.
JAPANESE_RUN = re.compile(
    r"[\u3005\u3006\u3041-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]+"
)
# Tags and character references in the index's HTML-ish text are never cut.
MARKUP = re.compile(r"(<[^>]*>|&[#\w]+;)")


class JanomeMissing(RuntimeError):
    """Japanese search needs Janome, an optional dependency."""


def require_janome() -> None:
    """Raise JanomeMissing with what to install when Janome is not importable."""
    try:
        import janome.tokenizer  # noqa: F401
    except ImportError:
        raise JanomeMissing(
            "language: ja needs the Japanese tokenizer Janome to build the search index; "
            "install it with `pip install 'glossary-generator[ja]'` (or `pip install janome`)"
        ) from None


@lru_cache(maxsize=1)
def _tokenizer():
    require_janome()
    from janome.tokenizer import Tokenizer

    return Tokenizer()


def _noun_like(pos: str) -> bool:
    return (
        pos.startswith("名詞")
        and not pos.startswith(("名詞,非自立", "名詞,代名詞"))
        or pos.startswith("接頭詞,名詞接続")
        or pos.startswith("接頭詞,数接続")
    )


def words(run: str) -> list[list[str]]:
    """A Japanese run cut into words; each word is the list of Janome tokens it is made of.

    Consecutive nouns (and a noun prefix before them, a noun suffix after them) form one word.
    """
    out: list[list[str]] = []
    current: list[str] = []
    for token in _tokenizer().tokenize(run):
        pos = token.part_of_speech
        noun = _noun_like(pos)
        if noun and current and not pos.startswith("接頭詞"):
            current.append(token.surface)
            continue
        if current:
            out.append(current)
            current = []
        if noun:
            current = [token.surface]
        else:
            out.append([token.surface])
    if current:
        out.append(current)
    return out


def segment_text(text: str) -> tuple[str, list[str]]:
    """Plain text with U+200B between words, and the inner starts of its compounds."""
    pieces: list[str] = []
    extra: list[str] = []
    cursor = 0
    for match in JAPANESE_RUN.finditer(text):
        pieces.append(text[cursor : match.start()])
        if pieces[-1] and not pieces[-1][-1].isspace():
            pieces.append(ZWSP)
        parts = words(match.group(0))
        pieces.append(ZWSP.join(_word("".join(p)) for p in parts))
        for word in parts:
            for i in range(1, len(word)):
                tail = "".join(word[i:])
                if len(tail) > 1 and not _is_suffix_only(word[i]):
                    extra.append(_word(tail))
        cursor = match.end()
        if cursor < len(text) and not text[cursor].isspace():
            pieces.append(ZWSP)
    pieces.append(text[cursor:])
    return "".join(pieces), extra


def _word(word: str) -> str:
    """A word as indexed: kanji-only words get a WORD JOINER so the query side leaves them alone."""
    return word + JOINER if KANJI_ONLY.fullmatch(word) else word


def _is_suffix_only(surface: str) -> bool:
    """A one-character suffix such as 数 or 層 does not start a searchable word on its own."""
    return len(surface) == 1


def segment_html(value: str) -> tuple[str, list[str]]:
    """Segment the text of an index entry, leaving its tags and character references whole."""
    out: list[str] = []
    extra: list[str] = []
    for i, chunk in enumerate(MARKUP.split(value)):
        if i % 2 or not chunk:
            out.append(chunk)
            continue
        text, more = segment_text(chunk)
        out.append(text)
        extra += more
    return "".join(out), extra


def segment_index(data: dict) -> dict:
    """A Material search index (the parsed search_index.json) segmented for Japanese."""
    config = data.setdefault("config", {})
    config["lang"] = ["en"]
    config["pipeline"] = []
    config["separator"] = SEPARATOR
    fields = config.setdefault("fields", {})
    fields.setdefault("title", {"boost": 1000.0})
    fields.setdefault("text", {"boost": 1.0})
    fields.setdefault("tags", {"boost": 1000000.0})
    fields[WORDS_FIELD] = {"boost": WORDS_BOOST}
    for doc in data.get("docs", []):
        extra: list[str] = []
        for key in ("title", "text"):
            if isinstance(doc.get(key), str):
                doc[key], more = segment_html(doc[key])
                extra += more
        if extra:
            doc[WORDS_FIELD] = " ".join(dict.fromkeys(extra))
    return data


def segment_index_file(path: Path) -> bool:
    """Rewrite site/search/search_index.json in place; False when there is no index."""
    if not path.is_file():
        return False
    data = json.loads(path.read_text(encoding="utf-8"))
    segment_index(data)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return True
