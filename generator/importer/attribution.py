"""Where an imported glossary came from and under which licence."""

from __future__ import annotations

import re
from pathlib import Path

from generator.importer.read import _KNOWN_LICENCES, _norm_key, _one_line


def _cc_licence(code: str, version: str) -> tuple[str, str]:
    code = code.lower()
    return f"CC {code.upper()} {version}", f"https://creativecommons.org/licenses/{code}/{version}/"


def _parse_licence(text: str) -> tuple[str | None, str | None]:
    """(name, url) of a licence mentioned in ``text`` (a file or a --licence value)."""
    m = re.search(r"creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)", text, re.I)
    if m:
        return _cc_licence(m.group(1), m.group(2))
    if re.search(r"creativecommons\.org/publicdomain/zero", text, re.I):
        return _KNOWN_LICENCES["cc0"]
    m = re.search(r"\bCC[ -]?(BY(?:[ -](?:SA|NC|ND))*)[ -]?(\d\.\d)\b", text, re.I) or re.search(
        r"Creative\s+Commons\s+(Attribution(?:[- ](?:ShareAlike|NonCommercial|NoDerivatives|NoDerivs))*)"
        r"\s+(\d\.\d)",
        text,
        re.I,
    )
    if m:
        words = re.split(r"[- ]+", m.group(1).lower())
        parts = {
            "by": "by",
            "attribution": "by",
            "sa": "sa",
            "sharealike": "sa",
            "nc": "nc",
            "noncommercial": "nc",
            "nd": "nd",
            "noderivatives": "nd",
            "noderivs": "nd",
        }
        code = "-".join(parts[w] for w in words if w in parts)
        return _cc_licence(code, m.group(2))
    if re.search(r"\bCC0\b|CC Zero|Public Domain Dedication", text, re.I):
        return _KNOWN_LICENCES["cc0"]
    if re.search(r"\bMIT License\b|^\s*MIT\s*$", text, re.I | re.M):
        return _KNOWN_LICENCES["mit"]
    if re.search(r"Apache License,?\s+Version 2\.0|\bApache[- ]2\.0\b", text, re.I):
        return _KNOWN_LICENCES["apache-2.0"]
    if re.search(r"GNU Free Documentation License", text, re.I):
        return _KNOWN_LICENCES["gfdl"]
    return None, None


def _split_name_url(value: str) -> tuple[str | None, str | None]:
    """``"Name <url>"``, ``"Name (url)"``, ``"url"`` or ``"Name"`` -> (name, url)."""
    value = value.strip()
    m = re.search(r"https?://[^\s<>()]+", value)
    if not m:
        return (value or None), None
    url = m.group(0).rstrip(".,;")
    name = (value[: m.start()] + value[m.end() :]).strip(" \t<>()[]-–—,:")
    return (name or None), url


def _attribution_files(source: Path) -> list[Path]:
    files: list[Path] = []
    for directory in (source, source.parent):
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for p in entries:
            stem = p.stem.lower() if p.suffix.lower() in ("", ".md", ".txt", ".markdown", ".rst") else ""
            if stem in ("source", "sources", "license", "licence", "copying", "readme", "notice") and p.is_file():
                files.append(p)
    return files


def detect_attribution(source: Path) -> dict[str, str | None]:
    """Find the origin glossary and its licence from SOURCE.md / LICENSE* / README*.

    Looks in ``source`` and its parent.  Returns a dict with ``name``, ``url``
    (repository or site), ``licence`` and ``licence_url`` (each may be None).
    """
    info: dict[str, str | None] = {"name": None, "url": None, "licence": None, "licence_url": None}
    texts: list[tuple[str, str]] = []
    for p in _attribution_files(source):
        try:
            texts.append((p.stem.lower(), p.read_text(encoding="utf-8", errors="replace")[:200_000]))
        except OSError:
            continue
    order = {"source": 0, "sources": 0, "notice": 1, "readme": 2, "license": 3, "licence": 3, "copying": 3}
    texts.sort(key=lambda t: order.get(t[0], 9))

    for _, text in texts:  # explicit credit line first ("must credit "X"")
        m = re.search(r"credit\s+(?:the\s+)?[\"“]([^\"”\n]{2,100})[\"”]", text, re.I)
        if m:
            info["name"] = m.group(1).strip()
            break
    if not info["name"]:
        for _stem, text in texts:
            m = re.search(r"content of (?:the )?(.{2,100}?) is licen[sc]ed", text, re.I)
            if m:
                info["name"] = _one_line(m.group(1))
                break
    if not info["name"]:
        for stem, text in texts:
            m = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.M)
            if m and stem not in ("license", "licence", "copying"):
                info["name"] = re.sub(r"\s*\([^)]*\)\s*$", "", m.group(1)).strip() or None
                break

    for stem, text in texts:  # repository / site URL
        if stem in ("license", "licence", "copying"):
            continue
        m = re.search(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|codeberg\.org)/[\w.-]+/[\w.-]+", text)
        if m:
            info["url"] = re.sub(r"(\.git)?[.,;:)]*$", "", m.group(0))
            break
        m = re.search(r"(GitHub|GitLab)?\s*repository\s+`?([A-Za-z0-9][\w.-]*/[\w.-]*[A-Za-z0-9])`?", text, re.I)
        if m:
            host = "gitlab.com" if (m.group(1) or "").lower() == "gitlab" else "github.com"
            info["url"] = f"https://{host}/{m.group(2)}"
            break

    for _stem, text in sorted(texts, key=lambda t: 0 if t[0] in ("license", "licence", "copying") else 1):
        name, url = _parse_licence(text)
        if name:
            info["licence"], info["licence_url"] = name, url
            break
    return info


def _attribution_source(
    source: Path, origin: str | None, licence: str | None, warnings: list[str]
) -> dict[str, str] | None:
    detected = detect_attribution(source)
    name, url = _split_name_url(origin) if origin else (detected["name"], detected["url"])
    if origin and not url and detected["name"] and name and _norm_key(name) == _norm_key(detected["name"]):
        url = detected["url"]
    if licence:
        lic_name, lic_url = _split_name_url(licence)
        known_name, known_url = _parse_licence(licence)
        lic_name = lic_name or known_name
        if not lic_url:
            lic_url = known_url or _KNOWN_LICENCES.get((lic_name or "").lower(), (None, None))[1]
    else:
        lic_name, lic_url = detected["licence"], detected["licence_url"]
    if not name:
        generic = {"terms", "term", "glossary", "content", "docs", "_terms", "_glossary", "en"}
        base = source.parent if source.name.lower() in generic else source
        name = base.name.replace("-", " ").replace("_", " ").strip().title() or "imported glossary"
        warnings.append(f"origin glossary not found in SOURCE.md/README; using {name!r} (pass --origin)")
    if not lic_name:
        warnings.append("licence of the origin glossary not found (pass --licence)")
    link = url or lic_url
    if not link:
        warnings.append("no URL for the origin glossary or its licence; no attribution source added")
        return None
    title = f"Adapted from {name}"
    if lic_name:
        title += f", licensed under {lic_name}"
        if lic_url and lic_url != link:
            title += f" ({lic_url})"
    else:
        title += " (licence unknown)"
    return {"title": title, "url": link}
