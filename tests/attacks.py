"""Attack strings for every text field: markup, attribute lists, Markdown, and OWASP's filter evasions."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from kit import write_config, write_text, write_yaml

# Each fires (a dialog) or adds an event handler or a javascript: URL if it ever reaches a page as markup.
ATTACKS = [
    "<img src=x onerror=alert(1)>",
    '"><img src=x onerror=alert(2)>',
    "'><svg/onload=alert(3)>",
    "x {tabindex=1 autofocus onfocus=alert(4)}",
    "<script>alert(5)</script>",
    "[click](javascript:alert(6))",
    '<a href="javascript:alert(7)">x</a>',
    '<iframe src="javascript:alert(8)"></iframe>',
    "<body onload=alert(9)>",
    "<IMG SRC=JaVaScRiPt:alert(10)>",
    "<img src=`javascript:alert(11)`>",
    "<<SCRIPT>alert(12)//<</SCRIPT>",
    "<svg><script>alert(13)</script></svg>",
    "&#60;img src=x onerror=alert(14)&#62;",
    "<details open ontoggle=alert(15)>",
    "*[HTML]: <img src=x onerror=alert(16)>",
    '=== "<img src=x onerror=alert(17)>"',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(18)>",
    '<a href="jav&#x09;ascript:alert(19)">x</a>',
    '<div style="background:url(javascript:alert(20))">',
    "![x](x){onerror=alert(21)}",
    "<input autofocus onfocus=alert(22)>",
    "{: onclick=alert(23) }",
    '--8<-- "/etc/passwd"',
]

# URLs a source may not have: each must be refused at validation.
BAD_URLS = [
    "https://x)<svg/onload=alert(1)>",
    "https://x){onmouseover=alert(2)}",
    "mailto:x)[y](javascript:alert(3))",
    "javascript:alert(4)",
    "JaVaScRiPt:alert(5)",
    "data:text/html,<script>alert(6)</script>",
    'https://x"onmouseover="alert(7)',
    "https://x y",
    "vbscript:msgbox(8)",
    "https:alert(9)",
]


def attack(i: int) -> str:
    """The i-th attack string (cycling), numbered so that each field's value is unique."""
    return f"{ATTACKS[i % len(ATTACKS)]} {i}"


def hostile_glossary() -> tuple[dict, dict, dict]:
    """Concepts, personas and explanation files with an attack string in every text field."""
    n = iter(range(10_000))
    concepts = {}
    for slug, related in (("alpha", ["beta"]), ("beta", ["alpha"])):
        concepts[slug] = {
            "title": f"{slug} {attack(next(n))}",
            "aliases": [f"{slug} alias {attack(next(n))}", f"{slug} other {attack(next(n))}"],
            "summary": f"{slug} summary {attack(next(n))}",
            "definition": f"{slug} definition {attack(next(n))}\n\n{attack(next(n))}",
            "facts": [f"{slug} fact {attack(next(n))}", f"{slug} fact {attack(next(n))}"],
            "misconceptions": [attack(next(n))],
            "tags": [slug, f"<img src=x onerror=alert({slug!r})>"[:60], '{onclick=alert(1)} " x'],
            "related": related,
            "sources": [{"title": f"{slug} source {attack(next(n))}", "url": "https://example.org/paper?a=1&b=2"}],
        }
    personas = {}
    for i, slug in enumerate(("reader", "other")):
        personas[slug] = {
            "name": f"{slug} {attack(next(n))}",
            "description": f"{slug} description {attack(next(n))}",
            "background": attack(next(n)),
            "analogies": [attack(next(n))],
            "avoid": [attack(next(n))],
            "tone": f"tone {attack(next(n))}",
            "order": i,
        }
    texts = {}
    for concept in concepts:
        for persona in personas:
            front = (
                f"source: generated\nmodel: {attack(next(n))!r}\ndate: {attack(next(n))!r}\n"
                f"verdict:\n  judge: {attack(next(n))!r}\n  facts: {attack(next(n))!r}\n  covered: {attack(next(n))!r}\n"
            )
            texts[(concept, persona)] = f"---\n{front}---\n{concept} explained {attack(next(n))}\n\n{attack(next(n))}\n"
    return concepts, personas, texts


def write_hostile_glossary(root: Path) -> Path:
    """A site (the kit's site kind) whose every text field holds an attack string; returns its mkdocs.yml."""
    concepts, personas, texts = hostile_glossary()
    config = write_config(root, "site", {"default_persona": "reader"}, index="# Home\n\n<!-- glossary:personas -->\n")
    for folder, items in (("concepts", concepts), ("personas", personas)):
        for slug, data in items.items():
            write_yaml(root / folder / f"{slug}.yaml", data)
    for (concept, persona), text in texts.items():
        write_text(root / "concepts" / concept / f"{persona}.md", text)
    return config


def markup_problems(page: str) -> list[str]:
    """Event-handler attributes, script-like URLs and script elements holding an attack, in one HTML page."""
    found: list[str] = []

    class Finder(HTMLParser):
        script_type = ""

        def handle_starttag(self, tag, attrs):
            if tag == "script":
                self.script_type = dict(attrs).get("type") or ""
            if tag == "details" and dict(attrs).get("class") == "glossary-compare":
                return  # the compare panel of a concept page (site/browse.py), no attribute from a text
            for name, value in attrs:
                flat = re.sub(r"[\\s\\x00-\\x1f]", "", value or "").lower()
                if name.lower().startswith("on"):
                    found.append(f"<{tag} {name}={value!r}>")
                if flat.startswith(("javascript:", "vbscript:", "data:text/html")):
                    found.append(f"<{tag} {name}={value!r}>")
            if tag in ("iframe", "object", "embed", "frame", "base", "details", "marquee"):  # none in the theme
                found.append(f"<{tag}> at line {self.getpos()[0]}")

        def handle_data(self, data):
            if self.lasttag == "script" and self.script_type == "application/ld+json":
                if "<" in data or ">" in data:  # JSON-LD (site/machine.py) may quote an attack, never as markup
                    found.append(f"<script type=ld+json>{data[:60]}")
            elif self.lasttag == "script" and "alert(" in data:
                found.append(f"<script>{data[:60]}")

    Finder(convert_charrefs=True).feed(page)
    return found
