"""Audience-tailored concept glossaries: one explanation per reader, published with MkDocs."""

__version__ = "0.1.0"
