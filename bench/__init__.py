"""Reproducible benchmarks on loopback; each script compares against a bare reference."""
