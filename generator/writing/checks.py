"""Checks that need no model: every number and name in a text must come from its concept."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_SCALE_WORDS = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "k": 1e3,
    "m": 1e6,
    "b": 1e9,
    "t": 1e12,
    "千": 1e3,
    "万": 1e4,
    "億": 1e8,
    "兆": 1e12,
}
_SMALL_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a": 1,
    "an": 1,
}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")

# A written number: digits with thousands separators or a decimal part, then an optional scale
# word ("350 million", "1万", "175B") and an optional percent or multiplier sign.
_UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15}


def _number_pattern(in_names: bool) -> re.Pattern:
    # In support texts a number inside a name counts too ("GPT-3 175B", "OPT-13B").
    before = r"(?<![\w.])" if in_names else r"(?<![\w.^/])(?<![A-Za-z]-)"
    return re.compile(
        before + r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
        r"(?:\s?\^\s?(?P<exp>\d+))?"
        r"(?:[\s-]?(?P<scale>thousand|million|billion|trillion|[kKMBT](?![A-Za-z])|[千万億兆]))?"
        r"(?:\s?(?P<unit>[KMGTP]B)(?![A-Za-z]))?"
        r"(?P<suffix>\s?%|\s?per\s?cent|\s?percent|\s?[x×](?![A-Za-z0-9]|\s*[\d(\[])|\s?times\b|\s?倍)?"
        r"(?![A-Za-z]+\d)"  # "3f9c2a1b" is an identifier, not a number
    )


_NUMBER = _number_pattern(in_names=False)
_NUMBER_IN_NAMES = _number_pattern(in_names=True)
_WORD_NUMBER = re.compile(
    r"\b(?P<count>(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|a|an)(?:[ -]hundred)?)[ -](?P<scale>thousand|million|billion|trillion)\b",
    re.I,
)
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.M)
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_OPERATOR = r"(?:[×x*·/÷+−-]|times|by|divided by|plus|minus)"
_EQUALS = r"(?:=|≈|≒|~|is about|is roughly|is|comes to|gives|makes|equals)"

# Names a text may not invent: cited authors ("Hu et al."), and model or product names that mix
# letters with digits or inner capitals ("GPT-3", "RoBERTa").
_CITATION = re.compile(r"\b([A-Z][\w'’-]+)\s+et\s+al\.?")
_PRODUCT = re.compile(
    r"(?<![\w-])([A-Z][A-Za-z]+-?\d[\w.-]*|[A-Z]?[a-z]+[A-Z][A-Za-z]*|[A-Z]{2,}[a-z]+[A-Z]\w*)(?![\w-])"
)


@dataclass(frozen=True)
class Finding:
    """One thing in a text that its concept does not support."""

    kind: str  # "number", "name" or "truncated"
    text: str
    message: str


@dataclass(frozen=True)
class Mention:
    """A number as written in a text, with its value and where it stands."""

    text: str
    value: float  # with its unit: "350 GB" is 350e9, so "175 billion × 2 bytes = 350 GB" adds up
    start: int
    end: int
    checked: bool  # small bare counts ("two matrices") are not checked
    percent: bool = False
    plain: float | None = None  # without its unit: "350 GB" is also the 350 of "350 GB to 35 MB"


def normalise(text: str) -> str:
    """Full-width digits and superscript exponents as ASCII, so "１万" and "10⁴" read as numbers."""
    text = re.sub(r"(\d)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: m.group(1) + "^" + m.group(2).translate(_SUPERSCRIPTS), text)
    return unicodedata.normalize("NFKC", text)


def numbers_in(text: str, *, in_names: bool = False) -> list[Mention]:
    """Every number written in a text, digits or words, with its value."""
    text = normalise(text)
    mentions = []
    for match in (_NUMBER_IN_NAMES if in_names else _NUMBER).finditer(text):
        digits = match.group("digits")
        value = float(digits.replace(",", ""))
        if match.group("exp"):
            value = value ** int(match.group("exp"))
        scale = match.group("scale")
        if scale:
            value *= _SCALE_WORDS[scale if scale in _SCALE_WORDS else scale.lower()]
        unit = match.group("unit")
        suffix = (match.group("suffix") or "").strip()
        decorated = bool(scale or unit or suffix or match.group("exp"))
        checked = decorated or "." in digits or value > 10
        mentions.append(
            Mention(
                match.group(0).strip(),
                value * _UNITS[unit] if unit else value,
                match.start(),
                match.end(),
                checked,
                percent=suffix in ("%", "per cent", "percent", "percent"),
                plain=value,
            )
        )
    for match in _WORD_NUMBER.finditer(text):
        count = match.group("count").lower().replace("-", " ").split()
        value = _SMALL_WORDS[count[0]] * (100 if len(count) > 1 else 1) * _SCALE_WORDS[match.group("scale").lower()]
        mentions.append(Mention(match.group(0), value, match.start(), match.end(), True, plain=value))
    return sorted(mentions, key=lambda m: m.start)


def _values(mention: Mention) -> tuple[float, ...]:
    return (mention.value,) if mention.plain in (None, mention.value) else (mention.value, mention.plain)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def _close(a: float, b: float) -> bool:
    """A shown result rounded the way prose rounds it (to about 2 %)."""
    return abs(a - b) <= 0.02 * max(abs(a), abs(b), 1e-12)


_PYTHON_OPS = {
    "×": "*",
    "x": "*",
    "*": "*",
    "·": "*",
    "times": "*",
    "by": "*",
    "/": "/",
    "÷": "/",
    "divided by": "/",
    "+": "+",
    "plus": "+",
    "-": "-",
    "−": "-",
    "minus": "-",
}
# "2 bytes ×", "12 months =", and Japanese counters: "500 店舗 × 2,000 商品 = 100万"
_UNIT_WORD = r"(?:\s*(?:(?!by\b|times\b|is\b|plus\b|minus\b)[A-Za-z]{1,12}\.?|[\u3041-\u30ff\u3400-\u9fff]{1,4}))?"
_LINK = re.compile(rf"{_UNIT_WORD}\s*(?P<close>[)\]]*)\s*(?P<op>{_OPERATOR})\s*(?P<open>[(\[]*)\s*$", re.I)
_RESULT = re.compile(
    rf"{_UNIT_WORD}\s*(?P<close>[)\]]*)\s*{_EQUALS}\s*(?:about|roughly|around|approximately|約)?\s*$", re.I
)


def _evaluate(expression: str) -> float | None:
    """The value of an expression of numbers, + - * / and parentheses (nothing else is accepted)."""
    import ast
    import operator

    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def walk(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(expression)

    try:
        return walk(ast.parse(expression, mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError):
        return None


def shown_results(text: str, mentions: list[Mention]) -> dict[int, list[int]]:
    """Results of arithmetic the text writes out ("4 × (a + b) = c"): result index -> operand indices."""
    text = normalise(text)
    found: dict[int, list[int]] = {}
    for first in range(len(mentions)):
        opening = re.search(r"[(\[]*\s*$", text[max(0, mentions[first].start - 8) : mentions[first].start]).group(0)
        expression, chain = opening.replace("[", "(").replace(" ", "") + repr(mentions[first].value), [first]
        for j in range(first, len(mentions) - 1):
            between = text[mentions[j].end : mentions[j + 1].start]
            link = _LINK.match(between)
            if link:
                op = _PYTHON_OPS[link.group("op").lower()]
                expression += link.group("close") + op + link.group("open") + repr(mentions[j + 1].value)
                chain.append(j + 1)
                continue
            result = _RESULT.match(between)
            if result and len(chain) > 1:
                whole = (expression + result.group("close")).replace("[", "(").replace("]", ")")
                value = _evaluate(whole)
                if value is None:  # a parenthesis opened before the sum closes after its result
                    value = _evaluate(whole.lstrip("("))
                target = mentions[j + 1]
                if value is not None and (
                    _close(value, target.value) or (target.percent and _close(value * 100, target.value))
                ):
                    found.setdefault(j + 1, chain)
            break
    return found


def _support_values(texts: Iterable[str]) -> list[float]:
    values = []
    for text in texts:
        for mention in numbers_in(text, in_names=True):
            values += _values(mention)
            if mention.percent:
                values.append(mention.value / 100)
    return values


def number_findings(body: str, support: Iterable[str]) -> list[Finding]:
    """Numbers in the body that neither appear in the support texts nor take part in arithmetic the
    text shows and gets right (a worked example's inputs and result are checkable as written)."""
    text = _LIST_MARKER.sub(" ", _CODE.sub(" ", body))
    allowed = _support_values(support)
    mentions = numbers_in(text)
    results = shown_results(text, mentions)
    shown = {i for result, chain in results.items() for i in (result, *chain)}
    derived = [mentions[i].value for i in shown]
    findings, seen = [], set()
    for index, mention in enumerate(mentions):
        if index in shown or not mention.checked or mention.value in seen:
            continue
        if any(_same(mine, v) for mine in _values(mention) for v in allowed) or any(
            _close(mention.value, v) for v in derived
        ):
            continue
        seen.add(mention.value)
        findings.append(
            Finding(
                "number",
                mention.text,
                f'the number "{mention.text}" appears nowhere in the concept\'s definition, facts, quotes '
                "or related summaries, and no arithmetic in the text gives it",
            )
        )
    return findings


def names_in(text: str) -> list[str]:
    """Cited authors and model or product names, as written."""
    text = _CODE.sub(" ", text)
    names = [m.group(1) for m in _CITATION.finditer(text)]
    names += [m.group(1).rstrip(".-") for m in _PRODUCT.finditer(text) if len(m.group(1)) >= 4]
    return list(dict.fromkeys(names))


def name_findings(body: str, support: Iterable[str]) -> list[Finding]:
    """Names in the body that appear in none of the support texts (glossary terms count as support)."""
    haystack = normalise(" ".join(support)).casefold()
    findings = []
    for name in names_in(normalise(body)):
        if name.casefold() not in haystack:
            findings.append(
                Finding("name", name, f'the name "{name}" appears nowhere in the concept, its sources or the glossary')
            )
    return findings


_ENDINGS = tuple(".!?。！？…:;)]」』\"'”’*`|")


def truncation_findings(body: str) -> list[Finding]:
    """A text that stops mid-sentence: its last line of prose ends without closing punctuation."""
    lines = [line.rstrip() for line in _CODE.sub("", body).strip().splitlines() if line.strip()]
    if not lines:
        return [Finding("truncated", "", "the text is empty")]
    last = lines[-1]
    if re.match(r"\s*([-*+]|\d+[.)])\s", last) or last.lstrip().startswith(("|", "#", ">", "$$")):
        return []
    if last.endswith(_ENDINGS):
        return []
    return [Finding("truncated", last[-40:], f'the text stops mid-sentence: "…{last[-40:]}"')]


def support_texts(glossary, concept) -> list[str]:
    """What a text's numbers may come from: the concept's definition, facts, quotes and sources,
    and its related concepts' summaries."""
    from generator.inputs.digests import related_summaries

    texts = [concept.title, *concept.aliases, concept.summary, concept.definition, *concept.claims]
    texts += [fact.quote for _, fact in concept.anchored]
    texts += [source.title for source in concept.sources]
    texts += [item["summary"] for item in related_summaries(glossary, concept)]
    translations = getattr(concept, "translations", None) or {}
    for localised in translations.values():  # a localised definition or fact says the same numbers
        dumped = localised.model_dump() if hasattr(localised, "model_dump") else localised
        texts += [str(value) for value in (dumped or {}).values()]
    return texts


def glossary_names(glossary) -> list[str]:
    """Every concept's title and aliases: naming another glossary term is never an invented name."""
    return [name for other in glossary.concepts.values() for name in other.names()]


def check_text(glossary, concept, body: str) -> list[Finding]:
    """Every finding of the checks that need no model: numbers, names, a text cut off."""
    support = support_texts(glossary, concept)
    return (
        number_findings(body, support)
        + name_findings(body, support + glossary_names(glossary))
        + truncation_findings(body)
    )
