"""Writing explanations: answer cleaning, the generation run, the judge, the failures record."""
