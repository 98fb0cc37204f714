"""The company's own databases and tools: one Protocol, a registry, one module per kind."""
