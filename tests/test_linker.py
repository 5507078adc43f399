"""The linker: the first mention of another concept in a text links to it, with its summary as title."""

from __future__ import annotations

import re

from generator.site.linker import Linker, Term
from generator.texts.sanitize import render_markdown

TERMS = [
    Term("lora", ("LoRA (Low-Rank Adaptation)", "LoRA", "Low-Rank Adaptation"), "Trains a small low-rank update."),
    Term("matrix-rank", ("Matrix rank", "rank"), "The number of independent columns."),
    Term("fine-tuning", ("Fine-tuning", "fine-tune"), "Training a pretrained model further."),
    Term("low-rank-approximation", ("Low-rank approximation",), "The closest matrix of lower rank."),
    Term("ja-rank", ("行列のランク", "ランク"), "行列の線形独立な列の最大本数。"),
    Term("ja-ft", ("ファインチューニング",), "事前学習済みモデルを追加で学習させること。"),
    Term("quotes", ('"Attention" & <heads>',), 'Says "hi" & <b>.'),
]
LINKER = Linker(TERMS)


def href(slug: str) -> str:
    return f"../{slug}/"


def link(html: str, self_slug: str | None = None, scope: str | None = None) -> str:
    return LINKER.link(html, self_slug, href, scope_tag=scope)


def anchors(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link the linker made."""
    return re.findall(r'<a href="([^"]*)" title="[^"]*">(.*?)</a>', html)


def test_first_mention_only_links_with_summary_as_title():
    out = link("<p>Fine-tuning is slow. Fine-tuning again is slower.</p><p>More fine-tuning.</p>")
    assert anchors(out) == [("../fine-tuning/", "Fine-tuning")]
    assert 'title="Training a pretrained model further."' in out
    assert out.count("Fine-tuning") == 2 and out.endswith("<p>More fine-tuning.</p>")


def test_texts_of_one_page_write_each_summary_once():
    titled: set[str] = set()
    first = LINKER.link("<p>Fine-tuning with a low rank.</p>", "lora", href, titled=titled)
    second = LINKER.link("<p>Fine-tuning, then LoRA, at rank 8.</p>", "lora", href, titled=titled)
    assert (
        'title="Training a pretrained model further."' in first
        and 'title="The number of independent columns."' in first
    )
    assert anchors(second) == [
        ("../fine-tuning/", "Fine-tuning"),
        ("../matrix-rank/", "rank"),
    ]  # still linked in each text
    assert second.count('title=""') == 2 and "Training" not in second
    assert titled == {("fine-tuning", None), ("matrix-rank", None)}
    alone = LINKER.link("<p>Fine-tuning again.</p>", "lora", href)  # no page to share with: every link titled
    assert 'title="Training a pretrained model further."' in alone


def test_a_text_links_at_most_its_limit_of_concepts_in_reading_order():
    text = "<p>LoRA is a kind of fine-tuning.</p><ul><li>Its rank is low.</li><li>A low-rank approximation.</li></ul>"
    every = [("../lora/", "LoRA"), ("../fine-tuning/", "fine-tuning"), ("../matrix-rank/", "rank")]
    assert anchors(LINKER.link(text, None, href))[:3] == every
    assert anchors(LINKER.link(text, None, href, limit=2)) == every[:2]
    assert anchors(LINKER.link(text, None, href, scope_tag="li", limit=3)) == every  # across the items of a list
    assert LINKER.link(text, None, href, limit=0) == text


def test_case_insensitive_for_latin_text_and_plural():
    out = link("<p>We FINE-TUNE models; lora adapters and two ranks.</p>")
    assert anchors(out) == [("../fine-tuning/", "FINE-TUNE"), ("../lora/", "lora"), ("../matrix-rank/", "ranks")]


def test_longest_match_first():
    out = link("<p>A low-rank approximation is not LoRA (Low-Rank Adaptation), whose rank is low.</p>")
    assert anchors(out) == [
        ("../low-rank-approximation/", "low-rank approximation"),
        ("../lora/", "LoRA (Low-Rank Adaptation)"),
        ("../matrix-rank/", "rank"),
    ]


def test_a_shorter_name_inside_a_longer_mention_is_not_linked_again():
    out = link("<p>Low-rank approximation. Then a low-rank approximation again mentions rank.</p>")
    # the second "low-rank approximation" is consumed whole: its "rank" is not the first mention of rank
    assert anchors(out) == [("../low-rank-approximation/", "Low-rank approximation"), ("../matrix-rank/", "rank")]
    assert out.index(">rank</a>") > out.index("mentions")


def test_aliases_link_to_their_concept():
    out = link("<p>Low-Rank Adaptation trains a rank-r update.</p>")
    assert anchors(out) == [("../lora/", "Low-Rank Adaptation"), ("../matrix-rank/", "rank")]


def test_never_inside_code_pre_links_or_headings():
    html = (
        "<h3>LoRA and rank</h3>"
        "<p><code>LoRA(rank=4)</code> and <a href='https://example.org'>fine-tuning</a></p>"
        "<pre><code>rank = 4  # LoRA</code></pre>"
        "<p>Now LoRA, rank and fine-tuning.</p>"
    )
    out = link(html)
    assert anchors(out) == [("../lora/", "LoRA"), ("../matrix-rank/", "rank"), ("../fine-tuning/", "fine-tuning")]
    assert "<h3>LoRA and rank</h3>" in out
    assert "<code>LoRA(rank=4)</code>" in out
    assert "<a href='https://example.org'>fine-tuning</a>" in out
    assert "<pre><code>rank = 4  # LoRA</code></pre>" in out


def test_never_links_a_concept_to_itself():
    out = link("<p>LoRA is a kind of fine-tuning; LoRA again.</p>", self_slug="lora")
    assert anchors(out) == [("../fine-tuning/", "fine-tuning")]


def test_own_name_is_consumed_so_its_parts_do_not_link():
    out = link("<p>Low-Rank Adaptation is the full name.</p>", self_slug="lora")
    assert anchors(out) == []  # "Rank" inside the concept's own name is not a mention of matrix rank


def test_word_boundaries_for_latin_names():
    out = link("<p>Ranking, frank, prank and LoRAX are not mentions; (rank) is.</p>")
    assert anchors(out) == [("../matrix-rank/", "rank")]


def test_japanese_adjacency_without_word_boundaries():
    out = link("<p>LoRAは低ランクの更新を学習する。「LoRA」</p>")
    assert anchors(out)[0] == ("../lora/", "LoRA")
    assert "は低" in out  # the text around the link is unchanged
    out = link("<p>行列のランクを使うファインチューニングの手法。</p>")
    assert anchors(out) == [("../ja-rank/", "行列のランク"), ("../ja-ft/", "ファインチューニング")]


def test_katakana_name_is_not_found_inside_a_longer_katakana_word():
    assert anchors(link("<p>ランキングとランクの違い。</p>")) == [("../ja-rank/", "ランク")]
    out = link("<p>低ランク近似を使う。</p>")
    assert anchors(out) == [("../ja-rank/", "ランク")]  # after kanji, katakana starts a new word


def test_each_fact_is_its_own_text():
    html = "<ul>\n<li>Fine-tuning and rank.</li>\n<li>Fine-tuning again, and <code>rank</code> in code, then rank.</li>\n</ul>"
    out = link(html, scope="li")
    assert anchors(out) == [
        ("../fine-tuning/", "Fine-tuning"),
        ("../matrix-rank/", "rank"),
        ("../fine-tuning/", "Fine-tuning"),
        ("../matrix-rank/", "rank"),
    ]
    assert "<code>rank</code>" in out


def test_entities_and_attributes_are_escaped():
    out = link("<p>r &lt; min(d, k) and &quot;Attention&quot; &amp; &lt;heads&gt; then rank &amp; more</p>")
    assert "r &lt; min(d, k)" in out
    # Material's tooltip puts the title in as HTML: escaped twice, it shows `Says "hi" & <b>.` as written
    assert 'title="Says &quot;hi&quot; &amp;amp; &amp;lt;b&amp;gt;."' in out
    assert '>"Attention" &amp; &lt;heads&gt;</a>' in out
    assert "&lt;script" not in link("<p>&lt;script&gt;alert(1)&lt;/script&gt; rank</p>").replace(
        "&lt;script&gt;alert", ""
    )


def test_unknown_target_is_left_alone():
    out = LINKER.link("<p>rank and LoRA</p>", None, lambda slug: None if slug == "matrix-rank" else href(slug))
    assert anchors(out) == [("../lora/", "LoRA")]


def test_on_rendered_markdown_the_markup_survives():
    html = render_markdown("# Title\n\nLoRA uses `rank` and **fine-tuning**.\n\n| a | b |\n|---|---|\n| rank | x |\n")
    out = link(html, self_slug=None)
    assert anchors(out) == [("../lora/", "LoRA"), ("../fine-tuning/", "fine-tuning"), ("../matrix-rank/", "rank")]
    assert '<strong><a href="../fine-tuning/"' in out
    assert "<code>rank</code>" in out and "<table>" in out


def test_no_terms_no_change():
    assert Linker([]).link("<p>LoRA</p>", None, href) == "<p>LoRA</p>"


def test_escaped_entities_stay_escaped_once():
    out = link("<p>Write &amp;lt; for a less-than sign, near LoRA.</p><pre><code>&amp;amp;</code></pre>")
    assert "Write &amp;lt; for" in out
    assert "<code>&amp;amp;</code>" in out
    assert anchors(out) == [("../lora/", "LoRA")]
