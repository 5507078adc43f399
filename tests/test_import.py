"""`glossary import`: a Markdown glossary (Jekyll/Hugo front matter) becomes draft concepts."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli.importer import import_command
from generator.importer.writer import GlossaryImportError, ImportReport, import_glossary
from generator.inputs.schemas import Concept

# The concept schema's own keys, in its order: an imported file must read like a hand-written one.
KEY_ORDER = [k for k in Concept.model_fields if k != "slug"]
ALLOWED_KEYS = set(KEY_ORDER)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REAL_CORPUS = Path(__file__).parents[2] / "shared/corpora/ml-glossary/terms"


def write_terms(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


def load(concepts: Path, slug: str) -> dict:
    return yaml.safe_load((concepts / f"{slug}.yaml").read_text(encoding="utf-8"))


def check_valid(concepts: Path) -> dict[str, dict]:
    """The whole concepts folder obeys the contract: keys, slugs, unique names, related exist."""
    data = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(concepts.glob("*.yaml"))}
    names: dict[str, str] = {}
    for slug, d in data.items():
        assert SLUG.match(slug), slug
        assert isinstance(d, dict) and set(d) <= ALLOWED_KEYS, (slug, set(d) - ALLOWED_KEYS)
        assert list(d) == [k for k in KEY_ORDER if k in d], (slug, list(d))
        for key in ("title", "summary", "definition"):
            assert isinstance(d[key], str) and d[key].strip(), (slug, key)
        assert "\n" not in d["summary"] and len(d["summary"]) <= 400, slug
        for name in [d["title"], *d.get("aliases", [])]:
            key = name.casefold()
            assert key not in names, f"{name!r} of {slug} also names {names[key]}"
            names[key] = slug
        for rel in d.get("related", []):
            assert rel in data and rel != slug, (slug, rel)
        for tag in d.get("tags", []):
            assert SLUG.match(tag), (slug, tag)
        for src in d.get("sources", []):
            assert set(src) == {"title", "url"} and re.match(r"https?://\S+$", src["url"]), (slug, src)
    try:  # the site's own validator, when the package has it
        from generator.inputs.schemas import Concept
    except ImportError:
        return data
    for slug, d in data.items():
        Concept.model_validate({**d, "slug": slug})
    return data


SMALL = {
    "SOURCE.md": """
        # Tiny Glossary

        Taken from the public GitHub repository example-org/tiny-glossary.
        Anything derived from it must credit "Tiny Glossary".
        """,
    "LICENSE.md": """
        The content of Tiny Glossary is licensed under
        a [Creative Commons Attribution-ShareAlike 4.0 International License][1]

        [1]: https://creativecommons.org/licenses/by-sa/4.0/
        """,
    "alpha.md": """
        ---
        title: Alpha
        aka:
        - First letter
        related_terms:
        - beta
        - nowhere-term
        - alpha
        references:
        - link_title: Alpha - Wikipedia
          link_url: https://en.wikipedia.org/wiki/Alpha
        - link_title: A local page
          link_url: /pages/alpha/
        tags: [Greek Letters, basics]
        ---
        **Alpha** is the first letter of the Greek alphabet and is used as a [symbol][1] in
        [many formulas][2]. See also [Beta](/terms/beta/) and [gamma][3].

        It is often compared with [delta](../delta.md), which is documented [elsewhere][4].

        [1]: https://en.wikipedia.org/wiki/Symbol "Symbol - Wikipedia"
        [2]: /terms/formula/
        [3]: {{ site.baseurl }}/terms/gamma/
        [4]: https://example.org/delta
        """,
    "beta.md": """
        ---
        title: Beta
        aliases: [Second letter, First Letter]
        ---
        Beta is the second letter of the Greek alphabet, written $\\beta$ in formulas like $y = \\alpha + \\beta x$.

        $$
        \\beta = \\frac{\\operatorname{Cov}(x, y)}{\\operatorname{Var}(x)}
        $$

        {% include note.html %}
        <!-- TODO: add more -->
        Back to [Alpha](/terms/alpha).
        """,
    "gamma.md": """
        ---
        title: Gamma
        ---
        TODO
        """,
    "delta.md": """
        ---
        title: Delta
        ---
        """,
    "epsilon.md": """
        ---
        title: Epsilon
        ---
        ## Epsilon
        """,
    "zeta.md": """
        ---
        title: Zeta
        ---
        Zeta is a letter.
        """,
    "eta.md": """
        ---
        title: Eta
        layout: redirect
        destination: beta
        ---
        """,
    "Theta_Function.md": """
        ---
        title: Theta function
        related: [alpha]
        ---
        The theta function is a special function of several complex variables used in many places.
        """,
}


@pytest.fixture
def small(tmp_path):
    source = write_terms(
        tmp_path / "tiny" / "terms", {k: v for k, v in SMALL.items() if k not in ("SOURCE.md", "LICENSE.md")}
    )
    write_terms(tmp_path / "tiny", {"SOURCE.md": SMALL["SOURCE.md"], "LICENSE.md": SMALL["LICENSE.md"]})
    concepts = tmp_path / "site" / "concepts"
    report = import_glossary(source, concepts)
    return source, concepts, report


def test_imports_real_terms_only_and_reports_the_rest(small):
    _, concepts, report = small
    assert isinstance(report, ImportReport)
    assert sorted(report.imported) == ["alpha", "beta", "theta-function"]
    assert sorted(p.name for p in concepts.iterdir()) == ["alpha.yaml", "beta.yaml", "theta-function.yaml"]
    reasons = dict(report.skipped)
    assert reasons["gamma.md"] == "stub: placeholder text"
    assert reasons["delta.md"] == "stub: empty body"
    assert reasons["epsilon.md"] == "stub: only a heading"
    assert reasons["zeta.md"].startswith("stub: too short")
    assert reasons["eta.md"].startswith("redirect: to beta")
    assert report.skipped_by_reason() == {"stub": 4, "redirect": 1}
    check_valid(concepts)


def test_reference_links_become_inline_links(small):
    _, concepts, _ = small
    definition = load(concepts, "alpha")["definition"]
    assert '[symbol](https://en.wikipedia.org/wiki/Symbol "Symbol - Wikipedia")' in definition
    assert "[elsewhere](https://example.org/delta)" in definition
    assert "[1]:" not in definition and "][" not in definition


def test_links_to_other_terms_become_plain_text_and_related(small):
    _, concepts, report = small
    alpha = load(concepts, "alpha")
    text = alpha["definition"]
    assert "used as a [symbol]" in text
    assert "in\nmany formulas. See also Beta and gamma." in text
    assert "compared with delta, which" in text
    assert "/terms/" not in text and "site.baseurl" not in text
    assert alpha["related"] == ["beta"]
    assert load(concepts, "beta")["related"] == ["alpha"]
    assert load(concepts, "theta-function")["related"] == ["alpha"]


def test_dangling_related_are_dropped_and_listed(small):
    _, _, report = small
    dropped = set(report.dropped_related)
    assert {("alpha", "nowhere-term"), ("alpha", "formula"), ("alpha", "gamma"), ("alpha", "delta")} <= dropped
    assert not any(missing == "alpha" for slug, missing in dropped if slug == "alpha")  # self is not related


def test_aliases_tags_sources_and_attribution(small):
    _, concepts, report = small
    alpha = load(concepts, "alpha")
    assert alpha["aliases"] == ["First letter"]
    assert alpha["tags"] == ["greek-letters", "basics"]
    assert report.source_attribution == {
        "title": "Adapted from Tiny Glossary, licensed under CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)",
        "url": "https://github.com/example-org/tiny-glossary",
    }
    assert alpha["sources"] == [
        {"title": "Alpha - Wikipedia", "url": "https://en.wikipedia.org/wiki/Alpha"},
        report.source_attribution,
    ]
    assert alpha["draft"] is True and "facts" not in alpha


def test_alias_colliding_with_another_title_or_alias_is_dropped(small):
    _, concepts, report = small
    beta = load(concepts, "beta")
    assert beta["aliases"] == ["Second letter", "Eta"]  # the redirect's title is an alias too
    assert ("beta", "First Letter", "already used by alpha") in report.dropped_aliases


def test_latex_is_kept_and_summary_is_plain(small):
    _, concepts, _ = small
    beta = load(concepts, "beta")
    assert "written $\\beta$ in formulas like $y = \\alpha + \\beta x$." in beta["definition"]
    assert "$$\n\\beta = \\frac{\\operatorname{Cov}(x, y)}{\\operatorname{Var}(x)}\n$$" in beta["definition"]
    assert beta["summary"] == "Beta is the second letter of the Greek alphabet, written β in formulas like y = α + β x."


def test_liquid_tags_and_html_comments_are_removed(small):
    _, concepts, _ = small
    definition = load(concepts, "beta")["definition"]
    assert "{%" not in definition and "<!--" not in definition and "TODO" not in definition
    assert definition.endswith("Back to Alpha.")


def test_slug_from_file_name_is_normalised(small):
    _, concepts, _ = small
    theta = load(concepts, "theta-function")
    assert theta["title"] == "Theta function"
    assert (
        theta["summary"] == "The theta function is a special function of several complex variables used in many places."
    )


def test_yaml_is_readable_ordered_and_written_atomically(small):
    _, concepts, _ = small
    text = (concepts / "beta.yaml").read_text(encoding="utf-8")
    keys = [line.split(":")[0] for line in text.splitlines() if re.match(r"^[a-z]+:", line)]
    assert keys == ["title", "aliases", "summary", "definition", "related", "sources", "draft"]
    assert "definition: |-\n  Beta is the second letter" in text
    assert not [p for p in concepts.iterdir() if p.suffix != ".yaml"]  # no temp files left


def test_existing_slug_is_not_overwritten_and_counts_as_existing(tmp_path):
    source = write_terms(
        tmp_path / "src",
        {
            "alpha.md": """
            ---
            title: Alpha
            ---
            Alpha is the first letter of the Greek alphabet and starts many words.
            """,
            "beta.md": """
            ---
            title: Beta
            related_terms: [alpha]
            ---
            Beta is the second letter of the Greek alphabet and follows [alpha](/terms/alpha/).
            """,
        },
    )
    concepts = tmp_path / "concepts"
    concepts.mkdir()
    mine = "title: Alpha (mine)\nsummary: Mine.\ndefinition: Mine.\nfacts: [Mine.]\n"
    (concepts / "alpha.yaml").write_text(mine, encoding="utf-8")
    report = import_glossary(source, concepts, origin="Letters <https://example.org/letters>", licence="CC BY 4.0")
    assert (concepts / "alpha.yaml").read_text(encoding="utf-8") == mine
    assert ("alpha.md", "exists") in report.skipped
    assert report.imported == ["beta"]
    beta = load(concepts, "beta")
    assert beta["related"] == ["alpha"]  # the existing concept is a valid target
    assert beta["sources"][-1] == {
        "title": "Adapted from Letters, licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "url": "https://example.org/letters",
    }


def test_title_colliding_with_existing_concept_skips_the_term(tmp_path):
    source = write_terms(
        tmp_path / "src",
        {
            "learning-rate.md": """
            ---
            title: learning RATE
            aka: [LR]
            ---
            The learning rate scales each gradient step taken during the training of a model.
            """,
            "step-size.md": """
            ---
            title: Step size
            aka: [lr, Step length]
            ---
            The step size is the amount by which an iterative optimiser moves at each step.
            """,
        },
    )
    concepts = tmp_path / "concepts"
    concepts.mkdir()
    (concepts / "lr.yaml").write_text(
        "title: Learning rate\nsummary: S.\ndefinition: D.\ndraft: true\n", encoding="utf-8"
    )
    report = import_glossary(source, concepts, origin="https://example.org/g", licence="CC0")
    assert ("learning-rate.md", "collision: title 'learning RATE' already used by lr") in report.skipped
    step = load(concepts, "step-size")
    assert step["aliases"] == ["lr", "Step length"]  # LR was never taken: its term was skipped
    check_valid(concepts)


def test_title_wins_over_an_earlier_alias(tmp_path):
    source = write_terms(
        tmp_path / "src",
        {
            "a-net.md": """
            ---
            title: A net
            aka: [B net]
            ---
            A net is a kind of network that is used in the examples of this test suite.
            """,
            "b-net.md": """
            ---
            title: B net
            ---
            B net is another kind of network that is used in the examples of this test suite.
            """,
        },
    )
    report = import_glossary(source, tmp_path / "concepts", origin="https://example.org/g")
    assert sorted(report.imported) == ["a-net", "b-net"]
    assert report.dropped_aliases == [("a-net", "B net", "already used by b-net")]
    check_valid(tmp_path / "concepts")


def test_kubernetes_style_glossary(tmp_path):
    source = write_terms(
        tmp_path / "glossary",
        {
            "index.md": """
            ---
            title: Standardized Glossary
            layout: glossary
            ---
            """,
            "pod.md": """
            ---
            title: Pod
            id: pod
            date: 2018-04-12
            full_link: /docs/concepts/workloads/pods/
            short_description: >
              The smallest and simplest Kubernetes object. A Pod represents a set of running
              {{< glossary_tooltip text="containers" term_id="container" >}} on your cluster.
            aka:
            aliases: [/docs/pods/]
            tags:
            - core-object
            - fundamental
            ---
             The smallest and simplest Kubernetes object. A Pod represents a set of running {{< glossary_tooltip text="containers" term_id="container" >}} on your cluster.

            <!--more-->

            A Pod is typically set up to run a single primary container. Pods are commonly managed by a {{< glossary_tooltip term_id="deployment" >}}.
            """,
            "Container.md": """
            ---
            title: Container
            id: container
            short_description: >
              A lightweight and portable executable image that contains software and all of its dependencies.
            aka: OCI container
            tags: [fundamental, Workload]
            related: [pod, image]
            ---
            A lightweight and portable executable image that contains software and all of its dependencies.

            <!--more-->

            Containers decouple applications from underlying host infrastructure; see [the docs](/docs/concepts/containers/).
            """,
            "deployment.md": """
            ---
            title: Deployment
            id: deployment
            short_description: >
              An API object that manages a replicated application.
            full_link: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
            ---
            An API object that manages a replicated application, typically by running Pods with no local state.
            """,
        },
    )
    report = import_glossary(
        source,
        tmp_path / "concepts",
        origin="Kubernetes glossary <https://kubernetes.io/docs/reference/glossary/>",
        licence="CC BY 4.0",
    )
    assert sorted(report.imported) == ["container", "deployment", "pod"]
    assert ("index.md", "not a term: README/LICENSE/index page") in report.skipped
    concepts = tmp_path / "concepts"
    pod = load(concepts, "pod")
    assert pod["summary"] == "The smallest and simplest Kubernetes object."
    assert "aliases" not in pod  # Hugo's aliases are URL paths, not names
    assert pod["tags"] == ["core-object", "fundamental"]
    assert pod["related"] == ["container", "deployment"]
    assert pod["definition"] == (
        "The smallest and simplest Kubernetes object. A Pod represents a set of running containers on your cluster.\n\n"
        "A Pod is typically set up to run a single primary container. Pods are commonly managed by a Deployment."
    )
    container = load(concepts, "container")
    assert container["aliases"] == ["OCI container"]
    assert container["tags"] == ["fundamental", "workload"]
    assert container["related"] == ["pod"]
    assert ("container", "image") in report.dropped_related
    assert "see the docs." in container["definition"]
    deployment = load(concepts, "deployment")
    assert deployment["sources"][0] == {
        "title": "Deployment",
        "url": "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/",
    }
    assert deployment["sources"][-1]["url"] == "https://kubernetes.io/docs/reference/glossary/"
    check_valid(concepts)


def test_odd_markdown(tmp_path):
    source = write_terms(
        tmp_path / "src",
        {
            "net.md": """
            ---
            title: Net
            ---
            A net is a [recurrent network][1](RNN) with [undefined][9] and [shortcut] links,
            and an image ![plot](/images/plot.png) that only exists on the old site.

            ```python
            x = a[1][2]  # [1]: not a definition
            ```

            Code like `[1]` and math like $a[1] = {{b}}$ stay as written.

            [1]: /terms/rnn/
            [shortcut]: https://example.org/shortcut
            """,
            "rnn.md": """
            ---
            title: RNN
            ---
            A recurrent neural network processes a sequence one element at a time, keeping a state.
            """,
        },
    )
    report = import_glossary(source, tmp_path / "concepts", origin="https://example.org/g")
    net = load(tmp_path / "concepts", "net")
    text = net["definition"]
    assert text.startswith(
        "A net is a recurrent network(RNN) with undefined and [shortcut](https://example.org/shortcut) links,\nand an image  that only"
    )
    assert "x = a[1][2]  # [1]: not a definition" in text
    assert "Code like `[1]` and math like $a[1] = {{b}}$ stay as written." in text
    assert net["related"] == ["rnn"]
    assert any("undefined link reference [9]" in w for w in report.warnings)
    assert any("/images/plot.png" in w for w in report.warnings)


def test_summary_skips_headings_and_follows_a_quoted_definition(tmp_path):
    source = write_terms(
        tmp_path / "src",
        {
            "burst.md": """
            ---
            title: Burstiness
            ---
            ## Definition
            Wikipedia defines burstiness as follows:

            > In statistics, burstiness is the intermittent increases and decreases in activity or frequency of an event. One measure is the Fano factor.

            More text follows here.
            """,
            "long.md": """
            ---
            title: Long
            ---
            """
            + "Long is a term whose first sentence goes on and on "
            + "and on " * 60
            + "until it ends.\n",
        },
    )
    import_glossary(source, tmp_path / "concepts", origin="https://example.org/g")
    assert load(tmp_path / "concepts", "burst")["summary"] == (
        "In statistics, burstiness is the intermittent increases and decreases in activity or frequency of an event."
    )
    long = load(tmp_path / "concepts", "long")["summary"]
    assert len(long) <= 300 and long.endswith("…")


@pytest.mark.parametrize("case", ["missing", "file", "empty", "no-markdown"])
def test_bad_source_raises_and_writes_nothing(tmp_path, case):
    source = tmp_path / "src"
    if case == "file":
        source.write_text("not a folder")
    elif case == "empty":
        source.mkdir()
    elif case == "no-markdown":
        source.mkdir()
        (source / "notes.txt").write_text("Alpha is a letter of the Greek alphabet and more.")
    concepts = tmp_path / "concepts"
    with pytest.raises(GlossaryImportError, match=re.escape(str(source))):
        import_glossary(source, concepts)
    assert not concepts.exists()


def test_unreadable_source_raises_and_writes_nothing(tmp_path, monkeypatch):
    source = write_terms(
        tmp_path / "src", {"alpha.md": "---\ntitle: Alpha\n---\nAlpha is the first letter of the Greek alphabet.\n"}
    )
    real_iterdir = Path.iterdir

    def refuse(self):
        if self == source:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", refuse)
    concepts = tmp_path / "concepts"
    with pytest.raises(
        GlossaryImportError, match=f"cannot read glossary source {re.escape(str(source))}: Permission denied"
    ):
        import_glossary(source, concepts)
    assert not concepts.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_source_by_permissions(tmp_path):
    source = write_terms(
        tmp_path / "src", {"alpha.md": "---\ntitle: Alpha\n---\nAlpha is the first letter of the Greek alphabet.\n"}
    )
    source.chmod(0o000)
    try:
        with pytest.raises(GlossaryImportError, match="cannot read"):
            import_glossary(source, tmp_path / "concepts")
    finally:
        source.chmod(0o755)
    assert not (tmp_path / "concepts").exists()


def test_command_prints_summary_and_exits_2_on_bad_source(small, tmp_path):
    source, _, _ = small
    concepts = tmp_path / "cli-concepts"
    result = CliRunner().invoke(import_command, [str(source), "--concepts-dir", str(concepts)])
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output and "3 concept(s)" in result.output
    assert "stub: placeholder text" in result.output and "gamma.md" in result.output
    assert "nowhere-term" in result.output
    assert len(list(concepts.glob("*.yaml"))) == 3
    again = CliRunner().invoke(import_command, [str(source), "--concepts-dir", str(concepts)])
    assert again.exit_code == 0 and "exists" in again.output
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = CliRunner().invoke(import_command, [str(empty), "--concepts-dir", str(tmp_path / "none")])
    assert bad.exit_code == 2
    assert f"no Markdown files (*.md) in glossary source {empty}" in bad.output
    assert not (tmp_path / "none").exists()


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="ml-glossary corpus not available")
def test_real_ml_glossary(tmp_path):
    concepts = tmp_path / "concepts"
    report = import_glossary(REAL_CORPUS, concepts)
    attribution = {
        "title": "Adapted from Machine Learning Glossary, licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "url": "https://github.com/machine-learning-glossary/glossary",
    }
    assert report.source_attribution == attribution
    files = sorted(concepts.glob("*.yaml"))
    assert len(files) == len(report.imported) >= 170
    assert len(report.imported) + len(report.skipped) == len(list(REAL_CORPUS.glob("*.md")))
    data = check_valid(concepts)
    for path in files:
        assert "\ndefinition: |-\n" in path.read_text(encoding="utf-8"), path.name
    for slug, d in data.items():
        assert d["draft"] is True, slug
        assert "facts" not in d, slug
        assert d["sources"][-1] == attribution, slug
        assert not re.search(r"\]\[\d+\]|^\[\d+\]:|\{%|\{\{|<!--|/terms/", d["definition"], re.M), slug
    for slug, missing in report.dropped_related:
        assert slug in data and missing not in data
    assert "Backprop" in data["backpropagation"]["aliases"]
    assert dict(report.skipped)["accams.md"].startswith("stub: too short")


def test_odd_files(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "crlf.md").write_bytes(
        "\ufeff---\r\ntitle: Crlf\r\n---\r\nCRLF line endings\tand a BOM do not matter to the importer at all.\r\n".encode()
    )
    (source / "broken.md").write_text("---\ntitle: [unclosed\n---\nSome body text that is long enough to count.\n")
    (source / "Same_Slug.md").write_text(
        "---\ntitle: Same slug one\n---\nThe first file that normalises to the slug same-slug.\n"
    )
    (source / "same-slug.md").write_text(
        "---\ntitle: Same slug two\n---\nThe second file that normalises to the slug same-slug.\n"
    )
    (source / "no-front-matter.md").write_text("A file without front matter still has a body that defines it well.\n")
    (source / "toml.md").write_text(
        '+++\ntitle = "Toml"\ntags = ["Hugo"]\n+++\nHugo sites may use TOML front matter between plus signs.\n'
    )
    (source / "stub.md").write_text(
        "---\ntitle: Stub\n---\nStub: a small piece of code that stands in for a real component during tests.\n"
    )
    (source / "later.md").write_text(
        "---\ntitle: Later\n---\nTODO: write the definition of this term once we have read the paper.\n"
    )
    (source / "unpublished.md").write_text(
        "---\ntitle: Hidden\npublished: false\n---\nThis page is not published on the original site at all.\n"
    )
    (source / "README.md").write_text(
        "# About this glossary\n\nThis folder holds the terms of the glossary, one per file.\n"
    )
    report = import_glossary(source, tmp_path / "concepts", origin="https://example.org/g")
    reasons = dict(report.skipped)
    assert reasons["broken.md"].startswith("invalid: invalid YAML front matter")
    assert reasons["Same_Slug.md"] == "collision: slug 'same-slug' already used by same-slug.md"
    assert reasons["later.md"] == "stub: placeholder text"
    assert reasons["unpublished.md"].startswith("unpublished")
    assert reasons["README.md"].startswith("not a term")
    assert sorted(report.imported) == ["crlf", "no-front-matter", "same-slug", "stub", "toml"]
    concepts = tmp_path / "concepts"
    assert load(concepts, "crlf")["definition"] == "CRLF line endings   and a BOM do not matter to the importer at all."
    assert load(concepts, "no-front-matter")["title"] == "No front matter"
    assert load(concepts, "same-slug")["title"] == "Same slug two"  # files are read in name order
    assert load(concepts, "toml")["tags"] == ["hugo"]
    check_valid(concepts)


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="ml-glossary corpus not available")
def test_glossary_cli_imports_into_the_site_and_the_site_validates(tmp_path):
    cli = pytest.importorskip("generator.cli.main")
    from kit import make_glossary

    root = make_glossary(tmp_path / "site")
    before = {p.name: p.read_bytes() for p in (root / "concepts").glob("*.yaml")}
    config = str(root / "mkdocs.yml")
    result = CliRunner().invoke(cli.main, ["import", str(REAL_CORPUS), "-f", config])
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output
    assert {p.name: p.read_bytes() for p in (root / "concepts").glob("*.yaml") if p.name in before} == before
    assert len(list((root / "concepts").glob("*.yaml"))) >= len(before) + 170
    validated = CliRunner().invoke(cli.main, ["validate", "-f", config])
    assert validated.exit_code == 0, validated.output
