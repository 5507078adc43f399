"""Importing an existing Markdown glossary as draft concepts."""
