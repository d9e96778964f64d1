"""The domain YAML: schema (pydantic) and loader (multi-file merge, located errors)."""
