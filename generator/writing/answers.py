"""Cleaning a model's answer into Markdown we can publish, or rejecting it."""

from __future__ import annotations

import re

from generator.llm.calls import CallResult
from generator.texts.sanitize import WHOLE_FENCE_RE, clean_markdown

MIN_WORDS = 12


# --------------------------------------------------------------------------- cleaning answers


class Rejected(Exception):
    """An answer that must not be published (truncated, empty, refused, failing the check)."""


HTML_TAGS = (
    "a abbr address article aside audio b base bdi bdo blockquote body br button canvas caption center cite code col colgroup "
    "data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure font footer form frame frameset "
    "h1 h2 h3 h4 h5 h6 head header hr html i iframe img input ins kbd label legend li link main map mark marquee math menu "
    "meta meter nav noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp script "
    "section select small source span strike strong style sub summary sup svg table tbody td template textarea tfoot th "
    "thead time title tr track u ul var video wbr"
).split()
_TAG = r"(?:" + "|".join(sorted(HTML_TAGS, key=len, reverse=True)) + r")"
DANGEROUS_BLOCK_RE = re.compile(
    r"<(script|style|iframe|object|embed|noscript|template|svg|math|textarea|select|head|title)\b[^>]*>.*?</\1\s*>",
    re.I | re.S,
)
COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
LINK_RE = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["'](https?://[^"'\s]+)["'][^>]*>(.*?)</a\s*>""", re.I | re.S)
HEADING_RE = re.compile(r"<h([1-6])\b[^>]*>", re.I)
TAG_RE = re.compile(r"</?" + _TAG + r"""\b(?:[^<>"']|"[^"]*"|'[^']*')*/?>""", re.I)
PREAMBLE_RE = re.compile(
    r"\A(?:(?:sure|certainly|of course|absolutely|great question)[!.,]?[ \t]*(?:\n|(?=here|below)))?"
    r"(?:(?:here(?:'|’)?s|here is|below is)\b[^\n]{0,160}:[ \t]*\n)?",
    re.I,
)
REFUSAL_RE = re.compile(
    r"\A\W*(?:i(?:'|’)m sorry|i am sorry|sorry,|i can(?:'|’)?t|i cannot|i(?:'|’)m (?:not )?(?:able|unable)|i am unable|i won(?:'|’)t|as an ai\b)",
    re.I,
)
FENCE_LINE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)


def strip_html(text: str) -> str:
    """Raw HTML out of Markdown: scripts and styles with their content, other tags kept as text.

    Code (fenced blocks and inline spans) is left alone, and so is text such as `r < min(d, k)`
    that only looks like a tag, since only real HTML element names are removed.
    """
    out: list[str] = []
    chunk: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = FENCE_LINE_RE.match(line)
        if fence is None and match:
            out.append(_strip_html_prose("\n".join(chunk)))
            chunk = []
            fence = match.group(1)
            out.append(line)
        elif fence is not None:
            out.append(line)
            if line.strip().startswith(fence[0] * len(fence)) and line.strip().strip(fence[0]) == "":
                fence = None
        else:
            chunk.append(line)
    if chunk:
        out.append(_strip_html_prose("\n".join(chunk)))
    return "\n".join(part for part in out)


def _strip_html_prose(text: str) -> str:
    spans: list[str] = []

    def keep(match: re.Match) -> str:
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    text = CODE_SPAN_RE.sub(keep, text)
    text = COMMENT_RE.sub("", text)
    text = DANGEROUS_BLOCK_RE.sub("", text)
    text = LINK_RE.sub(lambda m: f"[{TAG_RE.sub('', m.group(2)).strip()}]({m.group(1)})", text)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    text = re.sub(r"<li\b[^>]*>", "\n- ", text, flags=re.I)
    text = HEADING_RE.sub(lambda m: "\n\n" + "#" * int(m.group(1)) + " ", text)
    text = re.sub(
        r"</(?:p|div|h[1-6]|ul|ol|li|table|tr|blockquote|section|article|header|footer|pre)\s*>",
        "\n\n",
        text,
        flags=re.I,
    )
    text = re.sub(r"</?(?:strong|b)\s*>", "**", text, flags=re.I)
    text = re.sub(r"</?(?:em|i)\s*>", "*", text, flags=re.I)
    text = re.sub(r"</?code\s*>", "`", text, flags=re.I)
    previous = None
    while previous != text:  # nested or split tags (`<scr<script>ipt>`) cannot survive one pass
        previous = text
        text = TAG_RE.sub("", text)
        text = DANGEROUS_BLOCK_RE.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)


GIST_RE = re.compile(r"^[ \t>*_#]*gist[*_]*[ \t]*[:：][*_]*[ \t]*(?P<gist>.*\S)[ \t]*$", re.I | re.M)
EMPHASIS_RE = re.compile(r"(?P<mark>\*{1,3}|_{1,3})(?P<text>\S(?:.*?\S)?)(?P=mark)")
GIST_MAX = 300  # characters: one line under a title, not a paragraph


def split_gist(content: str | None) -> tuple[str | None, str | None]:
    """The answer's `Gist: ...` line (the prompt asks for it first) as plain text, and the answer without it.

    A missing or overlong gist is None: the explanation is still published, its page shows no gist."""
    if not content:
        return None, content
    text = content.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    whole = WHOLE_FENCE_RE.match(text)
    if whole:
        text = whole["body"]
    head = "\n".join(text.split("\n")[:4])  # the first lines only: "gist:" later on is the text's own
    match = GIST_RE.search(head)
    if match is None:
        return None, text
    rest = text[: match.start()] + text[match.end() :]
    gist = EMPHASIS_RE.sub(r"\g<text>", strip_html(match["gist"]).replace("`", ""))
    gist = " ".join(gist.split()).strip("*_\"'“”")
    return (gist if 0 < len(gist) <= GIST_MAX else None), rest


def clean_answer(content: str | None, refusal: str | None = None) -> str:
    """The publishable Markdown body of an answer, or Rejected saying why there is none."""
    if refusal:
        raise Rejected(f"the model refused: {refusal.strip()[:200]}")
    if content is None or not content.strip():
        raise Rejected("the model returned an empty answer")
    text = content.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    whole = WHOLE_FENCE_RE.match(text)
    if whole:
        text = whole["body"]
    text = strip_html(text)
    text = PREAMBLE_RE.sub("", text.lstrip(), count=1)
    body = clean_markdown(text)
    words = len(re.findall(r"\w+", body))
    if REFUSAL_RE.match(body) and words < 80:
        raise Rejected(f"the model declined: {body.strip()[:200]}")
    if not body.strip():
        raise Rejected("the answer held nothing but markup")
    wide = len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", body))
    if words < MIN_WORDS and wide < 3 * MIN_WORDS:
        raise Rejected(f"the answer is too short to publish ({words} words): {body.strip()[:120]!r}")
    return body


def is_truncated(result: CallResult, max_tokens: int) -> bool:
    return result.finish_reason == "length" or (result.usage.get("completion_tokens") or 0) >= max_tokens
