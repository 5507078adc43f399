"""Reading the glossary's input: concept and persona schemas, the YAML reader, loading and cross-file checks."""
