"""The MkDocs plugin and what it renders: pages, linker, Japanese search, assets."""
