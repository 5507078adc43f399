"""Loading the glossary: every concept and persona file read, validated and checked across files; every problem at once."""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from generator import safefs
from generator.errors import InputError, Problem
from generator.gcpause import gc_paused
from generator.inputs.placeholders import placeholder_problems
from generator.inputs.plaintext import quoted
from generator.inputs.schemas import SLUG_RE, Concept, Fact, Glossary, Persona, Source
from generator.inputs.yamlfile import KeyLines, _line_of, read_yaml
from generator.statcache import StatCache

UNION_TAGS = ("plain", "anchored")  # see schemas.FactItem: not keys a person wrote
NESTED_KEYS = {"sources": list(Source.model_fields), "facts": list(Fact.model_fields)}


def load_glossary(
    root: Path, concepts_dir: str = "concepts", personas_dir: str = "personas", languages: tuple[str, ...] = ()
) -> Glossary:
    """Read and validate every input file; raise InputError listing every problem.

    With the site's `languages`, translations and persona languages the site lacks are problems too."""
    with gc_paused():
        return _load_glossary(root, concepts_dir, personas_dir, languages)


def _load_glossary(root: Path, concepts_dir: str, personas_dir: str, languages: tuple[str, ...] = ()) -> Glossary:
    problems: list[Problem] = []
    glossary = Glossary(root=root, concepts_dir=concepts_dir, personas_dir=personas_dir)
    raw: dict[str, tuple[dict, Mapping[tuple, int]]] = {}
    personas_raw: dict[str, tuple[dict, Mapping[tuple, int]]] = {}
    cache = StatCache.for_root(root, "inputs")  # a file unchanged since its last valid parse is not parsed again
    concept_files, misnamed_concepts = _yaml_files(root / concepts_dir, root, problems, "concepts_dir")
    _prefetch(concept_files, Concept, cache)
    loaded: dict[str, _Loaded] = {}
    for file in concept_files:
        found = _load_one(file, Concept, problems, raw, cache)
        if found.valid is not None:
            glossary.concepts[found.valid.slug] = found.valid
            loaded[found.valid.slug] = found
    persona_files, misnamed_personas = _yaml_files(root / personas_dir, root, problems, "personas_dir")
    for file in persona_files:
        found = _load_one(file, Persona, problems, personas_raw, cache)
        if found.valid is not None:
            glossary.personas[found.valid.slug] = found.valid
    _check_misnamed(misnamed_concepts, Concept, problems)
    _check_misnamed(misnamed_personas, Persona, problems)
    # Every file unchanged, and no file added or removed, since a run that found no problem: the
    # checks across files would find none either.
    unchanged = not problems and cache.enabled and cache.all_hits()
    if not unchanged:
        _raw_of_cached(raw, Concept)
        _raw_of_cached(personas_raw, Persona)
        problems += _related_problems(raw, {f.stem for f in concept_files}, concepts_dir)
        problems += _cross_file_problems(glossary, raw, {stem: lines for stem, (_, lines) in personas_raw.items()})
    if languages:
        from generator.inputs.languages import language_problems

        problems += language_problems(glossary, languages)
    if problems:
        raise InputError(problems)
    _remember_digests(glossary, loaded, cache, unchanged)
    cache.save()
    return glossary


def _remember_digests(glossary: Glossary, loaded: dict[str, _Loaded], cache: StatCache, all_unchanged: bool) -> None:
    """The `concept` and `related` input hashes of every concept, for fingerprint.concept_digests.

    A concept's `related` hash quotes the titles and summaries of its related concepts: it is kept
    from the last run when neither its file nor theirs changed, and worked out again otherwise."""
    from generator.inputs.digests import related_digest

    unchanged = None if all_unchanged else {slug for slug, found in loaded.items() if found.hit}
    concepts = glossary.concepts
    for slug, concept in concepts.items():
        found = loaded[slug]
        related = found.related
        if related is None or (
            unchanged is not None and (not found.hit or not all(r in unchanged for r in concept.related))
        ):
            related = related_digest(glossary, concept)
            if found.st is not None:
                cache.put(found.key, found.st, (concept, found.digest, related))
        glossary.input_digests[slug] = (concept, found.digest, related)


class _InputFile(NamedTuple):
    path: str
    label: str  # relative to the site's root, for messages
    stem: str  # the slug
    root: Path | None = None  # the repository, which no symbolic link may lead out of


def _yaml_files(
    folder: Path, root: Path, problems: list[Problem], setting: str
) -> tuple[list[_InputFile], list[_InputFile]]:
    """What folder.glob("*.yaml") then folder.glob("*.yml") find, without a Path object per file:
    the files named with a valid slug, and the others (each reported). A missing folder is one problem."""
    if not folder.is_dir():
        message = f"folder not found (create it, or set {setting} under the glossary plugin in mkdocs.yml)"
        problems.append(Problem(_rel(folder, root), 0, "", message))
        return [], []
    try:
        safefs.check(folder, root)
    except safefs.Unsafe as exc:
        problems.append(Problem(_rel(folder, root), 0, "", exc.reason))
        return [], []
    prefix = _rel(folder, root) + "/"
    names = []
    for entry in os.scandir(folder):
        if entry.is_symlink() and not safefs.inside(entry.path, root):  # never read: it leads out of the repository
            problems.append(Problem(prefix + entry.name, 0, "", _link_out(entry.path, root)))
            continue
        names.append(entry.name)
    where = os.fspath(folder)
    files, misnamed = [], []
    for suffix in (".yaml", ".yml"):
        for name in sorted(n for n in names if n.endswith(suffix)):
            stem = name[: -len(suffix)]
            if not SLUG_RE.match(stem):
                problems.append(
                    Problem(
                        prefix + name,
                        0,
                        "",
                        f"bad slug {stem!r}: file names must be lowercase letters, digits and hyphens, like 'low-rank-adaptation.yaml'",
                    )
                )
                misnamed.append(_InputFile(f"{where}/{name}", prefix + name, stem, root))
                continue
            files.append(_InputFile(f"{where}/{name}", prefix + name, stem, root))
    return files, misnamed


def _link_out(path: str, root: Path) -> str:
    """Why a link is not read: where it points."""
    try:
        safefs.check(path, root)
    except safefs.Unsafe as exc:
        return exc.reason
    return "leads out of the repository"  # pragma: no cover - only called for such links


def _check_misnamed(files: list[_InputFile], model: type[BaseModel], problems: list[Problem]) -> None:
    """Read a badly named file anyway, so its other problems are listed now rather than after the rename."""
    for file in files:
        _load_one(file._replace(stem="renamed"), model, problems, {})  # a valid stand-in slug; the result is not kept


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


class _Loaded(NamedTuple):
    valid: Any  # the validated model, or None
    key: str = ""
    st: os.stat_result | None = None
    hit: bool = False  # unchanged since the last run: from the stat cache
    digest: str | None = None  # a concept's `concept` input hash
    related: str | None = None  # its `related` input hash, as the last run worked it out


class _Cached(NamedTuple):
    """A file from the stat cache, in place of its raw data until the checks across files need it."""

    valid: Any
    path: str


def _raw_of_cached(raw: dict, model: type[BaseModel]) -> None:
    """What the checks across files need of a cached file's raw data: a concept's related slugs (the
    same, stripped), and the lines of its keys when a problem names one."""
    for stem, value in raw.items():
        if type(value) is _Cached:
            related = {"related": list(value.valid.related)} if model is Concept else {}
            raw[stem] = (related, KeyLines(path=value.path))


PARALLEL_AT_LEAST = 1000  # files the stat cache does not know before a cold run parses them in a process per core


def _prefetch(files: list[_InputFile], model: type[BaseModel], cache: StatCache) -> None:
    """On a cold run over many files, parse and validate them in worker processes first (StatCache.prefetch):
    `_load_one` then finds the valid ones ready, and parses the others itself to report their problems."""
    if not cache.enabled or len(files) - len(cache.entries) < PARALLEL_AT_LEAST:
        return
    found = []
    for file in files:
        try:
            found.append((f"{model.__name__}:{file.label}", file.path, os.stat(file.path)))
        except OSError:
            continue
    first = files[0]
    prefix = first.label[: first.label.rindex("/") + 1]  # `concepts/`: a worker names each file as _yaml_files did
    cache.prefetch(found, functools.partial(_valid_files, model, first.root, prefix), at_least=PARALLEL_AT_LEAST)


def _valid_files(model: type[BaseModel], root: Path | None, prefix: str, paths: list[str]) -> list:
    """In a worker process: what `_load_one` keeps of each file without a problem, None for the others."""
    out = []
    reader = safefs.Confined(root) if root is not None else None
    for path in paths:
        name = os.path.basename(path)
        try:
            out.append(_parse_valid(_InputFile(path, prefix + name, name.rpartition(".")[0], root), model, reader))
        except Exception:
            out.append(None)
    return out


def _parse_valid(file: _InputFile, model: type[BaseModel], reader: safefs.Confined | None) -> tuple | None:
    data, _, problems = read_yaml(Path(file.path), file.label, file.root, reader)
    if data is None or problems or placeholder_problems(data, file.label, {}, _line_of):
        return None
    try:
        valid = model.model_validate({**data, "slug": file.stem} if "slug" not in data else data)
    except ValidationError:
        return None
    return (valid, _concept_digest(valid) if model is Concept else None, None)


def _concept_digest(concept: Concept) -> str:
    from generator.inputs.digests import concept_digest

    return concept_digest(concept)


def _load_one(
    file: _InputFile, model: type[BaseModel], problems: list[Problem], raw: dict, cache: StatCache | None = None
) -> _Loaded:
    """One validated file (or None, with its problems added); for a concept, its input hashes."""
    label, stem = file.label, file.stem
    key = f"{model.__name__}:{label}"
    st = None
    if cache is not None and cache.enabled:
        try:
            st = os.stat(file.path)
        except OSError:
            st = None
        hit = cache.get(key, st) if st is not None else None
        if hit is not None:  # this file parsed and validated before, and has not changed since
            valid, digest, related = hit
            # Known from the last run (unchanged since), or else parsed just now by _prefetch.
            unchanged = cache.entries.get(key, (None, None))[1] is hit
            raw[stem] = _Cached(valid, file.path)  # its raw data, when the checks across files need it (_raw_of_cached)
            return _Loaded(valid, key, st, unchanged, digest, related)
    data, lines, found = read_yaml(Path(file.path), label, file.root)
    problems += found
    if data is None:
        return _Loaded(None)
    raw[stem] = (data, lines)
    blanks = placeholder_problems(data, label, lines, _line_of)
    problems += blanks
    try:
        valid = model.model_validate({**data, "slug": stem} if "slug" not in data else data)
    except ValidationError as exc:
        fields = [n for n in model.model_fields if n != "slug"]
        for err in exc.errors():
            problems.append(_problem_from(err, label, lines, data, fields))
        return _Loaded(None)
    if blanks:
        return _Loaded(valid)  # valid for the checks across files, never remembered as valid
    digest = _concept_digest(valid) if model is Concept else None
    if st is not None:
        cache.put(key, st, (valid, digest, None))
    return _Loaded(valid, key, st, False, digest, None)


def _quoted(value: Any) -> str:
    """A value as a message shows it, cut short (a 100,000-character title is not repeated whole)."""
    return quoted(value) if isinstance(value, str) else repr(value)[:80]


def _problem_from(err: dict, label: str, lines: Mapping[tuple, int], data: dict, fields: list[str]) -> Problem:
    loc = tuple(p for p in err["loc"] if p not in UNION_TAGS)
    key = ".".join(str(p) for p in loc)
    line = _line_of(loc, lines)
    kind = err["type"]
    if kind == "extra_forbidden":
        nested = NESTED_KEYS.get(str(loc[0]), []) if len(loc) > 1 else fields
        hint = difflib.get_close_matches(str(loc[-1]), nested, n=1)
        message = f"unknown key {loc[-1]!r}" + (
            f"; did you mean {hint[0]!r}?" if hint else f"; allowed keys: {', '.join(nested)}"
        )
    elif kind == "missing":
        message = "required key is missing"
        line = lines.get(loc[:-1], 1) if len(loc) > 1 else 1
    elif kind == "string_too_short":
        message = "must not be empty"
    elif kind == "string_pattern_mismatch" and "tags" in loc:
        message = f"bad tag {err.get('input')!r}: at most 60 characters, no line breaks, no < or >"
    elif kind == "string_pattern_mismatch" and loc[-1] == "reading":
        message = f"bad reading {err.get('input')!r}: write it in hiragana or katakana, like 'ぎょうれつのらんく'"
    elif kind == "string_pattern_mismatch" and (
        loc[-1] == "languages" or loc[-2:-1] == ("languages",) or loc[-1] == "[key]"
    ):
        message = f"bad language code {err.get('input')!r}: use a code like 'en', 'ja' or 'pt-BR'"
    elif kind == "string_pattern_mismatch" and loc[0] in ("related", "tags"):
        message = f"bad slug {_quoted(err.get('input'))}: use lowercase letters, digits and hyphens"
    elif kind == "string_too_long":
        given = err.get("input") or ""
        message = f"at most {err['ctx']['max_length']:,} characters; this one has {len(given):,}: {_quoted(given)}"
    elif kind == "too_long":
        message = f"at most {err['ctx']['max_length']:,} items; this list has {len(err.get('input') or ()):,}"
    elif kind == "value_error":
        message = str(err["ctx"].get("error", err["msg"]))  # our validators quote the value themselves
    else:
        given = err.get("input")
        shown = _quoted(given) if not isinstance(given, dict) else "a mapping"
        message = f"{err['msg']} (got {shown})"
    return Problem(label, line, key, message)


def _related_problems(
    raw: dict[str, tuple[dict, Mapping[tuple, int]]], slugs: set[str], concepts_dir: str
) -> list[Problem]:
    """`related` entries naming no concept file, checked even in files with other problems."""
    problems = []
    for stem, (data, lines) in sorted(raw.items()):
        related = data.get("related")
        if not isinstance(related, list):
            continue
        label = f"{concepts_dir}/{stem}.yaml"
        for i, slug in enumerate(related):
            if not isinstance(slug, str) or not SLUG_RE.match(slug.strip()):
                continue  # the schema reports malformed slugs
            slug = slug.strip()
            if slug == stem:
                problems.append(
                    Problem(label, _line_of(("related", i), lines), f"related.{i}", f"{slug!r} is this concept itself")
                )
            elif slug not in slugs:
                hint = difflib.get_close_matches(slug, sorted(slugs), n=1)
                message = f"no concept {slug!r} (no file {concepts_dir}/{slug}.yaml)" + (
                    f"; did you mean {hint[0]!r}?" if hint else ""
                )
                problems.append(Problem(label, _line_of(("related", i), lines), f"related.{i}", message))
    return problems


def _anchor_problems(concept: Concept) -> list[tuple[tuple, str, str]]:
    """Anchored facts must name a source by its id, and source ids must be unique."""
    found = []
    ids: dict[str, int] = {}
    for i, source in enumerate(concept.sources):
        if source.id is not None and source.id in ids:
            found.append(
                (("sources", i, "id"), f"sources.{i}.id", f"{source.id!r} is also the id of sources.{ids[source.id]}")
            )
        elif source.id is not None:
            ids[source.id] = i
    for i, fact in concept.anchored:
        if fact.source not in ids:
            known = ", ".join(repr(k) for k in ids) or "none: give a source an `id:`"
            hint = difflib.get_close_matches(fact.source, list(ids), n=1)
            found.append(
                (
                    ("facts", i - 1, "source"),
                    f"facts.{i - 1}.source",
                    f"no source has the id {fact.source!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else f" (source ids: {known})"),
                )
            )
    return found


def _cross_file_problems(
    glossary: Glossary, concepts_raw: dict[str, tuple[dict, Mapping[tuple, int]]], persona_lines: dict[str, dict]
) -> list[Problem]:
    """Problems no single file shows: shared titles and aliases (files with problems of their own
    included), shared tab labels, missing facts."""
    problems: list[Problem] = []
    concept_lines = {stem: lines for stem, (_, lines) in concepts_raw.items()}

    def where(kind: str, slug: str, loc: tuple) -> tuple[str, int]:
        lines = (concept_lines if kind == glossary.concepts_dir else persona_lines).get(slug, {})
        return f"{kind}/{slug}.yaml", _line_of(loc, lines)

    concepts_dir, personas_dir = glossary.concepts_dir, glossary.personas_dir
    names = {slug: concept.names() for slug, concept in glossary.concepts.items()}
    for stem, (data, _) in concepts_raw.items():
        if stem not in names:  # a file with problems of its own: its names as written
            names[stem] = [
                n.strip() if isinstance(n, str) else ""
                for n in [data.get("title"), *(data.get("aliases") if isinstance(data.get("aliases"), list) else [])]
            ]
    owners: dict[str, list[tuple[str, str, tuple]]] = {}
    for slug in sorted(names):
        for i, name in enumerate(names[slug]):
            if not name:
                continue
            key, loc = ("title", ("title",)) if i == 0 else (f"aliases.{i - 1}", ("aliases", i - 1))
            owners.setdefault(name.casefold(), []).append((slug, key, loc))
    for _norm, users in owners.items():
        users = [u for j, u in enumerate(users) if u[0] not in {v[0] for v in users[:j]}]
        for slug, key, loc in users if len(users) > 1 else []:
            others = ", ".join(
                f"the {'title' if k == 'title' else 'alias'} of {concepts_dir}/{s}.yaml"
                for s, k, _ in users
                if s != slug
            )
            label, line = where(concepts_dir, slug, loc)
            name = names[slug][0 if key == "title" else int(key.split(".")[1]) + 1]
            problems.append(
                Problem(label, line, key, f"{name!r} is also {others}; each title and alias must name one concept")
            )
    problems += _translation_problems(glossary, where)
    for concept in sorted(glossary.concepts.values(), key=lambda c: c.slug):
        if not concept.draft and not concept.facts:
            label, line = where(concepts_dir, concept.slug, ())
            problems.append(
                Problem(label, line, "facts", "needs at least one key fact (or set draft: true until it has them)")
            )
        problems += [
            Problem(*where(concepts_dir, concept.slug, loc), key, msg) for loc, key, msg in _anchor_problems(concept)
        ]
    labels: dict[str, str] = {}
    for persona in sorted(glossary.personas.values(), key=lambda p: p.slug):
        norm = persona.name.casefold()
        if norm in labels:
            label, line = where(personas_dir, persona.slug, ("name",))
            problems.append(
                Problem(
                    label,
                    line,
                    "name",
                    f"tab label {persona.name!r} is already used by {personas_dir}/{labels[norm]}.yaml",
                )
            )
        else:
            labels[norm] = persona.slug
    return problems


def _translation_problems(glossary: Glossary, where) -> list[Problem]:
    """Translations that cannot stand beside their source: facts out of step, names shared in one language."""
    problems: list[Problem] = []
    owners: dict[tuple[str, str], list[tuple[str, tuple]]] = {}
    for concept in sorted(glossary.concepts.values(), key=lambda c: c.slug):
        for language, translation in concept.translations.items():
            if translation.facts is not None and len(translation.facts) != len(concept.facts):
                label, line = where(glossary.concepts_dir, concept.slug, ("translations", language, "facts"))
                problems.append(
                    Problem(
                        label,
                        line,
                        f"translations.{language}.facts",
                        f"has {len(translation.facts)} facts, the source has {len(concept.facts)}: translate each"
                        " fact once, in the same order (or leave `facts` out to show the source's)",
                    )
                )
            for i, name in enumerate([translation.title, *translation.aliases]):
                loc = ("translations", language, "title") if i == 0 else ("translations", language, "aliases", i - 1)
                owners.setdefault((language, name.casefold()), []).append((concept.slug, loc))
    for (language, _), users in sorted(owners.items()):
        slugs = sorted({slug for slug, _ in users})
        for slug, loc in users if len(slugs) > 1 else []:
            label, line = where(glossary.concepts_dir, slug, loc)
            others = ", ".join(f"{glossary.concepts_dir}/{s}.yaml" for s in slugs if s != slug)
            name = ".".join(str(p) for p in loc)
            problems.append(
                Problem(
                    label, line, name, f"this {language} name is also used by {others}; each name must mean one concept"
                )
            )
    return problems
