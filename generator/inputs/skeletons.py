"""Commented skeletons for `glossary new`: they validate once the blanks are filled."""

from __future__ import annotations


def concept(slug: str, schema_line: str = "") -> str:
    """A concept file to fill in; `schema_line` tells editors where its JSON Schema is."""
    title = slug.replace("-", " ").capitalize()
    return (
        schema_line
        + f"""\
# One concept of the glossary. The file name ({slug}) is its slug and its URL: /concepts/{slug}/
# Replace every TODO (validate refuses a file that still holds one), then run `glossary validate`.

# The name readers know it by (required).
title: {title}
# Other names and abbreviations; each may belong to one concept only.
aliases: []
# One sentence: what it is (required). Shown in the A to Z index and in link tooltips.
summary: TODO one sentence.
# The reference definition, the ground truth every explanation is checked against (required).
definition: >-
  TODO a precise definition in a few sentences.
# What every explanation must respect: one checkable claim each, supported by a source below.
facts:
  - TODO a key fact.
# Claims an explanation must NOT make, written as the false claim people really make.
misconceptions: []
# Topics, lowercase with hyphens.
tags: []
# Slugs of other concepts (their file names without .yaml); link back from them too.
related: []
# Papers, textbooks, official documentation that support the facts.
sources:
  - title: TODO the source's title
    url: https://example.org/TODO
# A draft publishes its definition only and is never sent to a model: the way to publish a stub.
# Remove it when the facts are in.
draft: true
"""
    )


def persona(slug: str, schema_line: str = "") -> str:
    """A persona file to fill in; `schema_line` tells editors where its JSON Schema is."""
    name = slug.replace("-", " ").capitalize()
    return (
        schema_line
        + f"""\
# One kind of reader: a tab on every concept page. Fill in every TODO, then `glossary validate`.

# The tab label (required, unique).
name: {name}
# Who they are (required).
description: TODO who this reader is.
# What they already know well: explanations start from here (required).
background: >-
  TODO their training, daily work and the ideas they use without thinking.
# Fields to draw analogies from.
analogies:
  - TODO a field this reader knows well
# Jargon or topics to avoid.
avoid: []
# How to speak to them.
tone: clear and friendly
# Target length in words.
length: 250
# Tab order: smaller comes first.
order: 100
"""
    )
