"""Japanese search segmentation: the index is cut into words with Janome at build time."""

from __future__ import annotations

import json
import re
import sys

import pytest

from generator.site import search_ja
from generator.site.search_ja import (
    JOINER,
    SEPARATOR,
    ZWSP,
    segment_html,
    segment_index,
    segment_text,
)

pytest.importorskip("janome", reason="Japanese search needs the optional extra: pip install '.[ja]'")

SPLIT = re.compile(SEPARATOR)
HAN = re.compile(r"[\u3005\u3006\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def tokens(text: str) -> list[str]:
    """What Material's tokenizer makes of an index text (lang en, no pipeline): split, lowercase."""
    return [t.lower() for t in SPLIT.split(re.sub(r"<[^>]*>", " ", text)) if t]


def material_segment(query: str, keys: set[str]) -> set[str]:
    """Material's query-side segmentation of a kanji run (search/query/segment), ported as is."""
    segments: set[str] = set()
    wordcuts = [0] * (len(query) + 1)
    for i in range(len(query)):
        for j in range(i + 1, len(query)):
            if query[i:j] in keys:
                wordcuts[i] = j - i
    stack = [0]
    while stack:
        p = stack.pop()
        for q in range(1, wordcuts[p]):
            if wordcuts[p + q] > wordcuts[p] - q:
                segments.add(query[p : p + q])
                stack.append(p + q)
        q = p + wordcuts[p]
        if wordcuts[q] and q < len(query) - 1:
            stack.append(q)
        segments.add(query[p:q])
    return {query} if "" in segments else segments


def browser_query(query: str, keys: set[str]) -> str:
    """The query term Material's worker runs (before its trailing wildcard)."""
    return HAN.sub(lambda m: "* ".join(sorted(material_segment(m.group(0), keys))), query)


def finds(query: str, keys: set[str]) -> bool:
    """Whether the prefix query Material builds matches an index key."""
    terms = [t for t in browser_query(query, keys).lower().replace("*", " ").split() if t]
    return all(any(key.startswith(term) for key in keys) for term in terms)


TEXT = "LoRAは低ランク適応と呼ばれ、大規模な言語モデルの重み行列を凍結したまま、低ランクの更新だけを学習します。ファインチューニングのパラメータ数は約1万分の1になります。"


def test_words_keep_compounds_whole():
    text, extra = segment_text(TEXT)
    words = text.split(ZWSP)
    assert "低ランク適応" in words and "低ランク" in words
    assert "言語モデル" in words
    assert "重み行列" in words
    assert "ファインチューニング" in words  # katakana only
    assert "パラメータ数" in words
    assert "LoRA" in words and "は" in words  # Latin and Japanese are separate words
    assert "ランク適応" in extra and "行列" + JOINER in extra
    assert "数" not in extra  # a one-character suffix is not a word of its own


def test_segmenting_only_adds_invisible_characters():
    text, _ = segment_text(TEXT)
    assert text.replace(ZWSP, "").replace(JOINER, "") == TEXT


def test_kanji_only_words_carry_a_word_joiner():
    text, extra = segment_text("事前学習を凍結した。")
    assert text.split(ZWSP)[0] == "事前学習" + JOINER
    assert "凍結" + JOINER in text.split(ZWSP)
    assert "学習" + JOINER in extra


def test_markup_and_character_references_are_left_whole():
    html = '<p>重み行列 <code>r &lt; min(d, k)</code>と<a href="x">低ランク</a></p>'
    out, _ = segment_html(html)
    assert out.replace(ZWSP, "").replace(JOINER, "") == html
    assert "&lt;" in out and '<a href="x">' in out and "<code>r &lt; min(d, k)</code>" in out


def test_index_is_rewritten_for_the_browser():
    data = {
        "config": {"lang": ["ja"], "separator": "[\\s\\-]+", "pipeline": ["stemmer"], "fields": {}},
        "docs": [
            {"location": "concepts/lora/", "title": "LoRA（低ランク適応）", "text": "<p>" + TEXT + "</p>"},
            {
                "location": "concepts/ft/",
                "title": "ファインチューニング",
                "text": "<p>大規模言語モデルを追加学習する。</p>",
            },
        ],
    }
    out = segment_index(json.loads(json.dumps(data)))
    assert out["config"]["lang"] == ["en"]  # no TinySegmenter in the browser: it would cut our words again
    assert out["config"]["pipeline"] == []  # lunr's English trimmer would delete every Japanese character
    assert out["config"]["separator"] == SEPARATOR
    assert out["config"]["fields"]["words"]["boost"] < 1
    lora, ft = out["docs"]
    assert lora["title"].replace(ZWSP, "") == "LoRA（低ランク適応）"
    assert "言語モデル" in ft["words"].split() and "規模言語モデル" in ft["words"].split()


@pytest.mark.parametrize(
    "query",
    [
        "低ランク",
        "言語モデル",
        "大規模",
        "ファインチューニング",
        "パラメータ",
        "重み行列",
        "ランク",
        "モデル",
        "行列",
        "凍結",
        "LoRA",
        "lora",
    ],
)
def test_queries_find_their_words(query):
    data = segment_index({"config": {}, "docs": [{"location": "a/", "title": "", "text": TEXT}]})
    doc = data["docs"][0]
    keys = set(tokens(doc["text"])) | set(tokens(doc.get("words", "")))
    assert finds(query, keys), (query, browser_query(query, keys), sorted(keys))


def test_query_side_segmentation_leaves_queries_whole():
    """Material cuts a query's kanji run at index words; no index word is kanji only, so it does not."""
    data = segment_index(
        {"config": {}, "docs": [{"location": "a/", "title": "", "text": "<p>大規模なモデル。大規模言語モデル。行</p>"}]}
    )
    keys = set(tokens(data["docs"][0]["text"])) | set(tokens(data["docs"][0].get("words", "")))
    assert browser_query("大規模言語モデル", keys) == "大規模言語モデル"
    assert finds("大規模言語モデル", keys)
    # without the joiner, 大規模 is a key and the query becomes 大規模モデル, which matches nothing
    bare = {k.replace(JOINER, "") for k in keys}
    assert browser_query("大規模言語モデル", bare) == "大規模モデル"
    assert not finds("大規模言語モデル", bare)


def test_segment_index_file_roundtrip(tmp_path):
    path = tmp_path / "search_index.json"
    assert search_ja.segment_index_file(path) is False
    path.write_text(
        json.dumps({"config": {"lang": ["ja"]}, "docs": [{"location": "", "title": "索引", "text": "言語モデル"}]}),
        encoding="utf-8",
    )
    assert search_ja.segment_index_file(path) is True
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["config"]["lang"] == ["en"] and data["docs"][0]["text"] == "言語モデル"


def test_janome_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "janome", None)
    monkeypatch.setitem(sys.modules, "janome.tokenizer", None)
    with pytest.raises(search_ja.JanomeMissing, match=r"pip install 'glossary-generator\[ja\]'"):
        search_ja.require_janome()
