"""Shared test helpers: vendor fixtures, signing the way each vendor signs, live servers."""
