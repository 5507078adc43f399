"""Issue 13: every human-written field is text wherever it appears (validation, page Markdown, page meta, HTML).

The browser half (no dialog, no handler, no javascript: URL in Chromium) is tests/test_browser_hostile.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import markdown as python_markdown
import pytest
import yaml
from attacks import ATTACKS, BAD_URLS, markup_problems, write_hostile_glossary
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from kit import build, make_glossary, write_yaml

from generator.cli.main import main
from generator.errors import InputError
from generator.inputs import plaintext
from generator.inputs.load import load_glossary
from generator.inputs.schemas import Concept, Glossary, Persona
from generator.site import pages
from generator.site.linker import Linker, Term
from generator.texts.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown
from generator.texts.store import Explanation


def validate(root: Path):
    return CliRunner().invoke(main, ["validate", "-f", str(root / "mkdocs.yml")])


# --------------------------------------------------------------------------- the built site


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    config = write_hostile_glossary(root / "glossary")
    return build(config, root / "site", strict=True)


def test_a_glossary_of_attack_strings_is_valid_and_builds_strictly(hostile_site):
    assert (hostile_site / "concepts" / "alpha" / "index.html").is_file()


def test_no_page_carries_a_handler_a_script_url_or_an_injected_element(hostile_site):
    pages_ = sorted(hostile_site.rglob("*.html"))
    assert len(pages_) >= 8
    for page in pages_:
        assert markup_problems(page.read_text(encoding="utf-8")) == [], page


def test_page_meta_reaches_the_theme_escaped(hostile_site):
    html = (hostile_site / "concepts" / "alpha" / "index.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "&lt;img src=x onerror=alert(1)&gt;" in title
    description = re.search(r'<meta name="description" content="([^"]*)"', html).group(1)
    assert "alpha summary" in description and "<" not in description
    header = re.search(r'<span class="md-ellipsis">\s*(alpha .*?)\s*</span>', html, re.S).group(1)
    assert "<img" not in header


def test_a_title_is_shown_as_written_and_adds_no_attribute_to_its_heading(hostile_site):
    html = (hostile_site / "concepts" / "alpha" / "index.html").read_text(encoding="utf-8")
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert "&lt;img src=x onerror=alert(1)&gt; 0" in heading.group(1)
    assert "onfocus" not in heading.group(0).split(">")[0] and "tabindex" not in heading.group(0).split(">")[0]


def test_a_persona_tab_label_is_text(hostile_site):
    html = (hostile_site / "concepts" / "alpha" / "index.html").read_text(encoding="utf-8")
    labels = re.findall(r"<label for=\"([^\"]+)\">(.*?)</label>", html)
    assert [slug for slug, _ in labels] == ["reader", "other"]  # anchors are slugs, whatever the names say
    assert all("<" not in text for _, text in labels)


def test_sources_are_escaped_links(hostile_site):
    html = (hostile_site / "concepts" / "alpha" / "index.html").read_text(encoding="utf-8")
    assert '<a href="https://example.org/paper?a=1&amp;b=2">alpha source' in html


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("title", "LoRA\n# injected heading", "U+000A LINE FEED"),
        ("summary", "One sentence\n# injected.", "U+000A LINE FEED"),
        ("aliases", ["fine\n\n<script>x</script>"], "U+000A LINE FEED"),
        ("title", "Null \0 byte", "U+0000 NULL"),
        ("title", "Reversed \u202etxt.exe", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("facts", ["One fact.\n- another"], "U+000A LINE FEED"),
        ("title", "x" * 100_000, "at most 200 characters; this one has 100,000"),
        ("facts", [f"Fact {i}." for i in range(51)], "at most 50 items; this list has 51"),
        ("definition", "word " * 2001, "at most 10,000 characters"),
    ],
)
def test_text_fields_refuse_line_breaks_control_characters_and_excess(tmp_path, field, value, expected):
    root = make_glossary(tmp_path / "site")
    path = root / "concepts" / "lora.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data[field] = value
    write_yaml(path, data)
    result = validate(root)
    assert result.exit_code == 2, result.output
    line = next(
        n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text.startswith(f"{field}:")
    )
    found = re.search(rf"concepts/lora\.yaml:(\d+): {field}(\.0)?: ", result.output)
    assert found and int(found.group(1)) == line + (1 if found.group(2) else 0), (
        result.output
    )  # a list item: its own line
    assert expected in result.output
    assert len(result.output) < 2000  # the value is quoted, cut short


def test_a_persona_description_with_a_line_break_is_refused(tmp_path):
    root = make_glossary(tmp_path / "site")
    path = root / "personas" / "child.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["description"] = "A child.\n# Injected heading on the home page"
    write_yaml(path, data)
    result = validate(root)
    assert result.exit_code == 2 and "personas/child.yaml:2: description: must be one line" in result.output


@pytest.mark.parametrize("url", BAD_URLS)
def test_source_urls_outside_the_allow_list_or_ending_a_link_are_refused(tmp_path, url):
    root = make_glossary(tmp_path / "site")
    path = root / "concepts" / "lora.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"] = [{"title": "Paper", "url": url}]
    write_yaml(path, data)
    result = validate(root)
    assert result.exit_code == 2, result.output
    assert re.search(r"concepts/lora\.yaml:\d+: sources\.0\.url: bad URL", result.output), result.output


@pytest.mark.parametrize(
    "url", ["https://arxiv.org/abs/2106.09685", "http://example.org/a?b=c&d=e#f", "mailto:someone@example.org"]
)
def test_ordinary_urls_pass(url):
    assert plaintext.check_url(url) == url


def test_a_url_that_slipped_past_validation_never_reaches_a_page():
    with pytest.raises(ValueError):
        plaintext.href("javascript:alert(1)")


# --------------------------------------------------------------------------- the page writer


def test_provenance_escapes_every_front_matter_value():
    meta = {
        "source": "generated",
        "model": "<img src=x onerror=alert(1)>",
        "date": "<b>d</b>",
        "verdict": {"judge": "<svg onload=alert(2)>", "facts": "<i>", "covered": "<u>"},
    }
    line = pages.provenance(Explanation("lora", "child", "Body.\n", meta), "en")
    assert "<img" not in line and "<svg" not in line and "<b>" not in line and "<i>" not in line
    assert "&lt;img src=x onerror=alert(1)&gt;" in line and "&lt;svg onload=alert(2)&gt;" in line


def test_a_long_name_builds_the_linker():
    linker = Linker(
        [Term("long", ("x" * 200, "y" * 199 + " z"), "s"), Term("nest", tuple("a" * i for i in range(1, 201)), "s")]
    )
    assert linker.pattern.search("a " + "x" * 200 + " b")


SYNTAX = [
    "{",
    "}",
    "#",
    ".",
    ":",
    "=",
    '"',
    "'",
    "<",
    ">",
    "/",
    "[",
    "]",
    "(",
    ")",
    "*",
    "_",
    "`",
    "!",
    "&",
    ";",
    "|",
    "-",
    "+",
    "~",
    "^",
    "\\",
    " ",
    "a",
    "x",
    "onfocus=x",
    "tabindex=1",
    ".cls",
    "#id",
    "&#60;",
    "&lt;",
    "javascript:",
]
PLAIN_FIELDS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60),
    st.lists(st.sampled_from(SYNTAX + ATTACKS), min_size=1, max_size=12).map("".join),
    st.lists(st.sampled_from(SYNTAX), max_size=6).map(lambda parts: "Name {" + "".join(parts) + " onfocus=x}"),
).filter(lambda s: s.strip())
SITE_EXTENSIONS = ["toc", "attr_list", "md_in_html", "admonition", "pymdownx.superfences", "pymdownx.tabbed", "tables"]


def _render_page(concept: Concept, persona: Persona) -> str:
    glossary = Glossary(Path("."), {concept.slug: concept}, {persona.slug: persona})
    page = pages.concept_page(glossary, concept, {}, "en", "0123456789ab")
    text = page.markdown.split("---\n", 2)[2]
    md = python_markdown.Markdown(
        extensions=SITE_EXTENSIONS, extension_configs={"pymdownx.tabbed": {"alternate_style": True}}
    )
    return plaintext.tidy(md.convert(text))


def _shape(html: str) -> set[tuple[str, str]]:
    """Every (element, attribute) pair of an HTML fragment (an element alone as (element, ''))."""
    from html.parser import HTMLParser

    found: set[tuple[str, str]] = set()

    class Shape(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.add((tag, ""))
            found.update((tag, name) for name, _ in attrs)

    Shape().feed(html)
    return found


def _script_urls(html: str) -> list[str]:
    """Attribute values that a browser would run as script."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Urls(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for _, value in attrs:
                if re.sub(r"[\s\x00-\x1f]", "", value or "").lower().startswith(("javascript:", "vbscript:", "data:")):
                    found.append(value)

    Urls().feed(html)
    return found


def _concept(title: str, alias: str, summary: str, source: str) -> Concept:
    return Concept(
        slug="c",
        title=title,
        aliases=[alias],
        summary=summary,
        definition="A definition.",
        facts=["A fact."],
        sources=[{"title": source, "url": "https://example.org/x"}],
    )


TEMPLATE_SHAPE = _shape(
    _render_page(
        _concept("Title", "Alias", "A summary", "Source"),
        Persona(slug="p", name="Reader", description="d", background="b"),
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(title=PLAIN_FIELDS, alias=PLAIN_FIELDS, summary=PLAIN_FIELDS, source=PLAIN_FIELDS, name=PLAIN_FIELDS)
@example(title="x {tabindex=1 autofocus onfocus=alert(4)}", alias="a", summary="s", source="s", name="n")
@example(
    title="t",
    alias="a",
    summary='A summary "><img src=x onerror=alert(1)>',
    source="s",
    name="<img src=x onerror=alert(2)>",
)
def test_fuzz_any_text_in_any_field_adds_no_element_or_attribute_to_a_page(title, alias, summary, source, name):
    try:
        concept = _concept(title, alias, summary, source)
        persona = Persona(slug="p", name=name, description="d", background="b")
    except ValueError:
        return  # refused at validation (e.g. a summary of two sentences): nothing to render
    html = _render_page(concept, persona)
    assert _shape(html) <= TEMPLATE_SHAPE, html
    assert not _script_urls(html), html


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    *ATTACKS,
                    "<",
                    ">",
                    '"',
                    "'",
                    "`",
                    "[",
                    "]",
                    "(",
                    ")",
                    "{",
                    "}",
                    "\n",
                    "javascript:",
                    "*",
                    "_",
                    "&#",
                    ";",
                    " ",
                ]
            ),
            max_size=25,
        ).map("".join),
    )
)
def test_fuzz_the_sanitiser_lets_through_only_its_own_elements_and_attributes(text):
    html = render_markdown(text)
    for tag, attribute in _shape(html):
        assert tag in ALLOWED_TAGS, html
        assert not attribute or attribute in ALLOWED_ATTRIBUTES.get(tag, set()), html
    assert not _script_urls(html), html


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    values=st.fixed_dictionaries(
        {key: st.text(max_size=80) for key in ("title", "summary", "definition", "alias", "name", "description")}
    )
)
def test_fuzz_the_loader_accepts_or_refuses_and_never_crashes(tmp_path_factory, values):
    root = make_glossary(tmp_path_factory.mktemp("fuzz"))
    concept = root / "concepts" / "lora.yaml"
    data = yaml.safe_load(concept.read_text(encoding="utf-8"))
    data.update(
        title=values["title"], summary=values["summary"], definition=values["definition"], aliases=[values["alias"]]
    )
    write_yaml(concept, data)
    persona = root / "personas" / "child.yaml"
    data = yaml.safe_load(persona.read_text(encoding="utf-8"))
    data.update(name=values["name"], description=values["description"])
    write_yaml(persona, data)
    try:
        glossary = load_glossary(root)
    except InputError as exc:
        assert all(problem.file.startswith(("concepts/", "personas/")) for problem in exc.problems)
        return
    assert glossary.concepts["lora"].title == values["title"].strip()


def test_no_title_from_a_text_reaches_a_tooltip():
    """Material's tooltips insert a title as HTML: a text's own titles are dropped by the sanitiser."""
    from generator.texts.sanitize import render_markdown

    html = render_markdown('[x](https://a.org "<img src=x onerror=alert(1)>") <abbr title="<b>t</b>">A</abbr>')
    assert "title=" not in html and "onerror" not in html
    assert '<a href="https://a.org">x</a>' in html
