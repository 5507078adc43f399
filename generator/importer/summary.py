"""Plain text and a one-sentence summary from imported Markdown; spotting stubs."""

from __future__ import annotations

import html
import re
from typing import Any

from generator.importer.markdown import (
    _CODE_SPAN,
    _HTML_COMMENT,
    _MATH,
    _PH_RE,
    _protect_fenced,
    _Protector,
)
from generator.importer.read import _normalise_text, slugify

MIN_WORDS = 8
SUMMARY_MAX = 300


# --------------------------------------------------------------------------- #
# Plain text, sentences, stubs
# --------------------------------------------------------------------------- #

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
_TEX_SYMBOLS = {
    "times": "×",
    "cdot": "·",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "~",
    "infty": "∞",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "partial": "∂",
    "nabla": "∇",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "mapsto": "↦",
    "pm": "±",
    "ldots": "…",
    "cdots": "…",
    "dots": "…",
    "forall": "∀",
    "exists": "∃",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "langle": "⟨",
    "rangle": "⟩",
    "mid": "|",
    "vert": "|",
    "lVert": "‖",
    "rVert": "‖",
    "log": "log",
    "exp": "exp",
    "max": "max",
    "min": "min",
    "arg": "arg",
    "sqrt": "√",
}


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("0123456789T", "⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ")


def _latex_plain(tex: str) -> str:
    """Rough plain-text rendering of a LaTeX math snippet (for summaries)."""
    tex = re.sub(r"^\$+|\$+$|^\\[(\[]|\\[)\]]$", "", tex.strip()).strip()
    tex = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"\1/\2", tex)
    tex = re.sub(r"\\frac\s*(\w)\s*(\w)", r"\1/\2", tex)
    tex = re.sub(r"_\{?(\d+)\}?", lambda m: m.group(1).translate(_SUBSCRIPTS), tex)
    tex = re.sub(r"\^\{?([\dT])\}?", lambda m: m.group(1).translate(_SUPERSCRIPTS), tex)
    tex = re.sub(
        r"\\(?:mathbf|mathrm|mathit|mathcal|mathbb|mathsf|boldsymbol|text|textbf|textit|operatorname|emph|hat|bar|tilde|vec)\s*",
        "",
        tex,
    )
    tex = re.sub(r"\\(left|right|big|Big|bigg|Bigg)\b", "", tex)
    tex = re.sub(r"\\[,;:! ]|\\q?quad\b", " ", tex)
    tex = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK.get(m.group(1), _TEX_SYMBOLS.get(m.group(1), m.group(1))), tex)
    tex = tex.replace("\\{", "{").replace("\\}", "}").replace("{", "").replace("}", "")
    return " ".join(tex.split())


def _to_plain(md: str, *, keep_display_math: bool = False, keep_code_blocks: bool = False) -> str:
    """Strip Markdown/HTML/LaTeX markup from a (cleaned) Markdown fragment."""
    prot = _Protector()
    text = _normalise_text(md)
    text = _protect_fenced(text, prot)
    # fenced blocks -> their content (or nothing)
    text = _PH_RE.sub(
        lambda m: "\n".join(prot.spans[int(m.group(1))].split("\n")[1:-1]) if keep_code_blocks else "",
        text,
    )
    prot = _Protector()
    text = prot.sub(_CODE_SPAN, text)
    text = _HTML_COMMENT.sub("", text)
    for pattern in _MATH:
        text = prot.sub(pattern, text)
    text = re.sub(r"!\[(?:[^\[\]]|\[[^\[\]]*\])*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\((?:[^()]|\([^()]*\))*\)", r"\1", text)  # links
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)  # autolinks
    text = re.sub(r"<[^>\n]+>", "", text)  # HTML tags
    text = re.sub(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", r"\1", text, flags=re.M)
    text = re.sub(r"^\s*(?:>\s?)+", "", text, flags=re.M)
    text = re.sub(r"^\s*(?:[*+-]|\d+[.)])\s+", "", text, flags=re.M)
    text = re.sub(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|?)+\s*$", "", text, flags=re.M)  # table rules
    for _ in range(2):
        text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text, flags=re.S)
        text = re.sub(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])", r"\1", text, flags=re.S)
        text = re.sub(r"(?<![_\w])_(?=\S)(.+?)(?<=\S)_(?![_\w])", r"\1", text, flags=re.S)
        text = re.sub(r"~~(?=\S)(.+?)(?<=\S)~~", r"\1", text, flags=re.S)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!>|$~])", r"\1", text)

    def restore(span: str) -> str:
        if span.startswith("`"):
            return span.strip("`").strip()
        if span.startswith("$$") or span.startswith("\\["):
            return _latex_plain(span) if keep_display_math else ""
        return _latex_plain(span)

    text = prot.restore(text, restore)
    text = html.unescape(text)
    return " ".join(text.split())


_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "vs",
    "cf",
    "al",
    "fig",
    "figs",
    "eq",
    "eqs",
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "st",
    "no",
    "nos",
    "approx",
    "resp",
    "inc",
    "ltd",
    "jr",
    "sr",
    "ca",
    "viz",
    "ref",
    "refs",
    "sec",
    "ch",
    "vol",
    "pp",
    "p",
    "aka",
    "min",
    "max",
    "est",
    "dept",
    "univ",
}


def first_sentence(text: str) -> str:
    """The first sentence of plain ``text`` (all of it if no sentence boundary is found)."""
    for m in re.finditer(r"[.!?…]+[\"'”’)\]]*(?=\s|$)", text):
        end = m.end()
        rest = text[end:].lstrip()
        before = text[: m.start()]
        word_m = re.search(r"([A-Za-z][A-Za-z.,]*)$", before)
        word = word_m.group(1) if word_m else ""
        if m.group(0).startswith(".") and word:
            w = word.lower().rstrip(".")
            if w in _ABBREVIATIONS or re.search(r"[.,]", w):  # e.g. / i.e. / U.S. / e,g.
                continue
            if w == "etc" and rest[:1].islower():
                continue
            if re.fullmatch(r"[A-Z]", word):  # an initial ("Diederik P. Kingma")?
                prev = re.search(r"(\S+)\s+[A-Z]$", before)
                if prev and prev.group(1)[:1].isupper() and rest[:1].isupper():
                    continue
        if rest and not (
            re.match(r"[\"'“‘(]?[A-Z0-9\u00C0-\u00DE]", rest)
            or re.match(r"[a-z]+[A-Z0-9]", rest)  # a lowercase name such as doc2vec / fastText
        ):
            continue
        return text[:end].strip()
    return text.strip()


def _blocks(md: str) -> list[str]:
    """Top-level Markdown blocks (paragraphs, headings, ...) of a cleaned definition."""
    prot = _Protector()
    text = _protect_fenced(_normalise_text(md), prot)
    text = prot.sub(_MATH[0], text)
    text = re.sub(r"^( {0,3}#{1,6}[ \t].*)$", r"\n\1\n", text, flags=re.M)  # headings stand alone
    return [prot.restore(b).strip() for b in re.split(r"\n[ \t]*\n", text) if b.strip()]


_LIST_ITEM = re.compile(r"(?:[*+-]|\d+[.)])\s")
_DISPLAY_MATH_START = re.compile(r"\$\$|\\\[")


def _list_items(block: str) -> list[str]:
    items = re.split(r"(?m)^\s*(?:[*+-]|\d+[.)])\s+", block)
    return [_to_plain(i).rstrip(" .;,") for i in items if i.strip()]


def _lower_first(text: str) -> str:
    if re.match(r"[A-Z](?:[a-z]|\s)", text) and not re.match(r"I\b", text):
        return text[0].lower() + text[1:]
    return text


def _summary_from_markdown(md: str) -> str:
    blocks = _blocks(md)
    sentence = ""
    for i, block in enumerate(blocks):
        if re.match(r"(#{1,6}\s|```|~~~|<|\$\$|\\\[|!\[|\|)", block) or _LIST_ITEM.match(block):
            continue  # heading, code, HTML, display math, image, table, list
        cut = _DISPLAY_MATH_START.search(block)  # a summary stops before display math
        text = block[: cut.start()] if cut else block
        without_math = _to_plain(re.sub(r"\$[^$]*\$|\\\(.*?\\\)", " ", text))
        if len(_WORD.findall(without_math)) < 3:
            continue  # only math (e.g. a \newcommand line)
        sentence = first_sentence(_to_plain(text))
        if sentence.endswith(":") and i + 1 < len(blocks):
            nxt = blocks[i + 1]
            if nxt.startswith(">"):
                quoted = first_sentence(_to_plain(_DISPLAY_MATH_START.split(nxt)[0]))
                if len(quoted.split()) >= 4:
                    sentence = quoted
            elif _LIST_ITEM.match(nxt):  # "X is when:" + a short list -> one sentence
                items: list[str] = []
                for following in blocks[i + 1 :]:
                    if not _LIST_ITEM.match(following):
                        break
                    items.extend(x for x in _list_items(following) if x)
                joined = sentence + " " + "; ".join(_lower_first(x) for x in items) + "."
                if items and len(joined) <= SUMMARY_MAX and all(first_sentence(x) == x for x in items):
                    sentence = joined
        break
    return _finish_summary(sentence)


_TRAILING_INTRO = re.compile(
    r"(?:[,;:]?\s*\b(?:e\.?,?\s?g\.?|i\.?,?\s?e\.?|for example|for instance|such as|as follows|namely))?"
    r"\s*[,;:]+$",
    re.I,
)


def _finish_summary(sentence: str) -> str:
    sentence = " ".join(sentence.split()).strip()
    if not sentence:
        return ""
    if len(sentence) > SUMMARY_MAX:
        cut = sentence[: SUMMARY_MAX - 1]
        cut = cut[: cut.rfind(" ")] if " " in cut else cut
        return cut.rstrip(" ,;:-–—(") + "…"
    sentence = _TRAILING_INTRO.sub("", sentence).rstrip()
    if not re.search(r"[.!?…][\"'”’)\]]*$", sentence):
        sentence += "."
    return _one_sentence_guard(sentence)


_VALIDATOR_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|et al|etc|vs|cf|Dr|Mr|Ms|No|Fig)\.", re.I)


def _one_sentence_guard(sentence: str) -> str:
    """Make sure no ". Capitalised" sequence makes the summary look like two sentences."""
    # "Diederik P. Kingma" -> "Diederik P Kingma" (initials, not sentence ends)
    sentence = re.sub(
        r"(?<=\b[A-Z][a-z]) ([A-Z])\.\s+(?=[A-Z][a-z])|(?<=[a-z]) ([A-Z])\.\s+(?=[A-Z][a-z])",
        lambda m: f" {m.group(1) or m.group(2)} ",
        sentence,
    )
    masked = _VALIDATOR_ABBREVIATIONS.sub(lambda m: "x" * len(m.group(0)), sentence)
    m = re.search(r"[.!?]\s+[A-Z][a-z]", masked)
    if m and len(_WORD.findall(sentence[: m.start()])) >= 4:
        return sentence[: m.start() + 1]
    if m:  # too short to cut: join the sentences with a semicolon instead
        return sentence[: m.start()] + ";" + sentence[m.start() + 1 :]
    return sentence


_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_PLACEHOLDER_START = re.compile(
    r"^\W*(todo|tbd|tba|fixme|wip|stub|placeholder|coming soon|lorem ipsum|work in progress|"
    r"to be (?:written|added|defined|completed|done)|definition (?:needed|missing|coming)|"
    r"add (?:a )?definition|n/?a|none|empty)\b",
    re.I,
)
_PLACEHOLDER_HINT = re.compile(
    r"\b(write|add|fill|expand|defin|describ|explain|complet|finish|later|soon|needed|missing|pending|"
    r"help|contribut)",
    re.I,
)
_PLACEHOLDER_ANY = re.compile(
    r"\b(this (?:article|page|entry|term|definition|section) is (?:a|still a) stub|lorem ipsum|"
    r"this is (?:the body of )?(?:yet )?(?:another |a )?(?:test|dummy|sample|placeholder) (?:term|entry|page))\b",
    re.I,
)
_TEST_TITLE = re.compile(r"^(test|dummy|sample|example|foo)[ _-]?(term|entry|page|concept)?[ _-]?\d*$", re.I)


def _stub_reason(markdown: str, title: str, slug: str, fm: dict[str, Any]) -> str | None:
    if fm.get("stub") is True:
        return "stub: marked stub in front matter"
    if not markdown.strip():
        return "stub: empty body"
    blocks = _blocks(markdown)
    if all(re.match(r"#{1,6}\s", b) and "\n" not in b for b in blocks):
        return "stub: only a heading"
    body_blocks = [b for b in blocks if not re.match(r"#{1,6}\s", b)] or blocks
    plain = _to_plain("\n\n".join(body_blocks), keep_display_math=True, keep_code_blocks=True)
    words = _WORD.findall(plain)
    if _PLACEHOLDER_ANY.search(plain):
        return "stub: placeholder text"
    start = _PLACEHOLDER_START.match(plain)
    if start and slugify(start.group(1)) not in (slug, slugify(title)):  # a term called "Stub" is fine
        rest = plain[start.end() :]
        rest_words = len(_WORD.findall(rest))
        if rest_words < 3 or (rest_words < 25 and _PLACEHOLDER_HINT.search(rest)):
            return "stub: placeholder text"
    if _TEST_TITLE.match(title.strip()) or _TEST_TITLE.match(slug):
        return "stub: test/placeholder term"
    if len(words) < MIN_WORDS:
        return f"stub: too short ({len(words)} words)"
    return None
