"""The pure core: models, rules, use cases and ports. No I/O imports live here."""
