"""Commented skeletons for `glossary new`: they validate once the blanks are filled."""

from __future__ import annotations


def concept(slug: str) -> str:
    title = slug.replace("-", " ").capitalize()
    return f"""\
# One concept of the glossary. The file name ({slug}) is its slug and its URL: /concepts/{slug}/
# Fill in every TODO, then run `glossary validate`.

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
# A draft publishes its definition only and is never sent to a model; remove when facts are in.
draft: true
"""


def persona(slug: str) -> str:
    name = slug.replace("-", " ").capitalize()
    return f"""\
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
