"""The hub's core: ingest, store, engine, delivery. Never imports ``web``."""
