"""The `glossary` command line: the click group, one module per command family, rich output."""
