"""Invalid recipe files: each kind of mistake gets a precise message (file, path, words)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from hub.engine.catalog import load_catalog
from hub.engine.recipes import RecipeInvalid, load_file, parse_text, validate

GOOD = {
    "id": "thank-you",
    "title": "Thank buyers",
    "description": "Tell Klaviyo about every order so a thank-you email goes out.",
    "params": {"metric": {"type": "string", "title": "Metric", "default": "Placed Order"}},
    "trigger": {"event": "order.completed"},
    "steps": [{"id": "tell", "action": "klaviyo.track_event",
               "with": {"metric": "{{ params.metric }}", "email": "{{ profile.email }}"}}],
}


def broken(**changes):
    data = copy.deepcopy(GOOD)
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        last = keys[-1]
        if value is DELETE:
            del target[last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return data


DELETE = object()

CASES = [
    ("missing title", broken(title=DELETE), "(top)", "'title' is missing"),
    ("unknown top-level key", broken(colour="blue"), "(top)", "unknown key ('colour' was unexpected)"),
    ("bad id", broken(id="Thank You!"), "id", "does not match"),
    ("unknown event", broken(trigger={"event": "order.placed"}), "trigger/event",
     "unknown event 'order.placed'"),
    ("two triggers", broken(trigger={"event": "order.completed", "schedule": "every 1 day"}),
     "trigger", "exactly one of"),
    ("bad schedule", broken(trigger={"schedule": "whenever"}), "trigger/schedule",
     "neither 'every <duration>' nor a crontab"),
    ("unknown adapter", broken(steps__0__action="mailchimp.track_event"), "steps/0/action",
     "unknown adapter 'mailchimp'"),
    ("unknown action", broken(steps__0__action="klaviyo.send_fax"), "steps/0/action",
     "klaviyo has no action 'send_fax'"),
    ("action not adapter.action", broken(steps__0__action="track"), "steps/0/action",
     "must name adapter.action"),
    ("missing required input", broken(steps__0__with={"email": "x@example.com"}),
     "steps/0/with", "needs the input 'metric'"),
    ("unknown input", broken(steps__0__with={"metric": "m", "colour": "red"}),
     "steps/0/with/colour", "takes no input 'colour'"),
    ("constant input of the wrong type", broken(steps__0__with={"metric": "m", "value": "lots"}),
     "steps/0/with/value", "'lots' does not match"),
    ("expression does not parse", broken(steps__0__with={"metric": "{{ params.metric ", "email": "a"}),
     "steps/0/with/metric", "does not parse"),
    ("undeclared param", broken(when="{{ params.minimum_total < 10 }}"), "params",
     "params.minimum_total is used but not declared"),
    ("param default does not fit", broken(params={"n": {"type": "integer", "title": "N", "default": "two"}}),
     "params/n/default", "the default does not fit"),
    ("param schema invalid", broken(params={"n": {"type": "integer", "title": "N", "minimum": "low"}}),
     "params/n", "not a valid parameter schema"),
    ("bad duration", broken(steps=[{"wait": {"for": "two hours"}}, GOOD["steps"][0]]),
     "steps/0/wait/for", "is not a duration"),
    ("wait with for and until", broken(steps=[{"wait": {"for": "1 hour", "until": "{{ now }}"}}]),
     "steps/0/wait", "exactly one of: for (a duration), until"),
    ("cancel on unknown event", broken(steps=[{"wait": {"for": "1 hour", "cancel_on": {"event": "x.y"}}}]),
     "steps/0/wait/cancel_on/event", "unknown event 'x.y'"),
    ("step of no kind", broken(steps=[{"id": "nothing"}]), "steps/0", "exactly one of: action, wait, if"),
    ("duplicate step ids", broken(steps=[GOOD["steps"][0], GOOD["steps"][0]]), "steps/1/id",
     "step id 'tell' is used twice"),
    ("for_each with the wrong event", broken(trigger={"event": "order.completed", "for_each": "wishlister"}),
     "trigger/for_each", "only works with event product.price_changed"),
    ("needs does not list an adapter", broken(needs=["twilio"]), "steps/0/action",
     "needs: does not list it"),
]


@pytest.mark.parametrize("data, path, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_mistake_has_a_precise_message(data, path, message):
    with pytest.raises(RecipeInvalid) as caught:
        validate(data, "thank-you.yaml")
    lines = str(caught.value).splitlines()
    assert any(line.startswith(f"thank-you.yaml: {path}: ") and message in line for line in lines), lines


def test_the_good_recipe_is_valid():
    recipe = validate(copy.deepcopy(GOOD), "thank-you.yaml")
    assert recipe.needs == ("klaviyo",)
    assert recipe.params_schema()["properties"]["metric"]["default"] == "Placed Order"


def test_yaml_syntax_errors_say_where():
    with pytest.raises(RecipeInvalid, match=r"x.yaml: line 3 column \d+: not valid YAML"):
        parse_text("id: x\ntitle: [unclosed\n", "x.yaml")


def test_the_id_must_match_the_file_name(tmp_path: Path):
    import yaml

    path = tmp_path / "other-name.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    with pytest.raises(RecipeInvalid, match="must match the file name"):
        load_file(path)


def test_a_catalog_reports_bad_files_and_keeps_good_ones(tmp_path: Path):
    import yaml

    (tmp_path / "thank-you.yaml").write_text(yaml.safe_dump(GOOD))
    (tmp_path / "broken.yaml").write_text("id: broken\n")
    catalog = load_catalog(tmp_path)
    assert list(catalog.recipes) == ["thank-you"]
    assert any(p.file == "broken.yaml" for p in catalog.problems)


def test_every_shipped_recipe_is_valid():
    catalog = load_catalog()
    assert catalog.problems == []
    assert catalog.recipes
