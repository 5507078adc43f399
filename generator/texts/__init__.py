"""The committed explanations: store, front matter, fingerprints, prompts, status, Markdown sanitising."""
