"""The curated knowledge base: schema, loading, entries, lint, CSV import/export."""
