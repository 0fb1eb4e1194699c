"""The recipes the hub ships: one YAML file each, validated by ``hub recipes validate``."""

from pathlib import Path

RECIPES_DIR = Path(__file__).resolve().parent
