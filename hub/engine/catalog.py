"""The recipes a shop owner can enable: every valid file in the recipes folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hub.engine.recipes import Problem, Recipe, RecipeInvalid, load_file


@dataclass
class Catalog:
    recipes: dict[str, Recipe] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, recipe_id: str) -> Recipe:
        try:
            return self.recipes[recipe_id]
        except KeyError:
            known = ", ".join(self.recipes) or "none"
            raise KeyError(f"no recipe {recipe_id!r} (available: {known})") from None


def default_dir() -> Path:
    from recipes import RECIPES_DIR

    return RECIPES_DIR


def recipe_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir()
                  if p.suffix in (".yaml", ".yml", ".json") and not p.name.startswith("."))


def load_catalog(directory: Path | None = None) -> Catalog:
    """Every recipe in ``directory`` (default: the shipped ones), in the order of their files'
    ``order`` (their position in the gallery), invalid ones reported, not loaded."""
    catalog = Catalog()
    for path in recipe_files(directory or default_dir()):
        try:
            recipe = load_file(path)
        except RecipeInvalid as error:
            catalog.problems.extend(error.problems)
            continue
        if recipe.id in catalog.recipes:
            catalog.problems.append(Problem(path.name, "id", f"the id {recipe.id!r} is also used "
                                            f"by {catalog.recipes[recipe.id].source}"))
            continue
        catalog.recipes[recipe.id] = recipe
    ordered = sorted(catalog.recipes.values(), key=lambda r: (r.data.get("order", 999), r.id))
    catalog.recipes = {r.id: r for r in ordered}
    return catalog
