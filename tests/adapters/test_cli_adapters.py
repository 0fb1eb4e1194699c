"""``hub adapters list`` and ``hub adapters new``: a scaffolded adapter passes the kit at once."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters import REGISTRY
from hub.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_list_shows_every_adapter_with_its_topics_polls_and_actions():
    output = run("adapters", "list").output
    for name in REGISTRY:
        assert f"\n{name} " in "\n" + output
    assert "orders/create            → order.completed" in output
    assert "abandoned_checkouts      → checkout.updated (every 900 s)" in output
    assert "http_request(headers, idempotency_header, json, method*, query, url*)  [not idempotent]" in output
    assert "webhook_secret (secret)" in output


def test_list_as_json_is_the_declarations():
    infos = {i["name"]: i for i in json.loads(run("adapters", "list", "--format", "json").output)}
    assert set(infos) == set(REGISTRY)
    shopify = infos["shopify"]
    assert {"name": "orders", "emits": ["order.completed", "order.cancelled"], "every_seconds": 900} in shopify["polls"]
    assert [s["name"] for s in shopify["settings"] if s["secret"]] == ["webhook_secret", "access_token"]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the parts of the project an adapter and its tests need (a fresh clone's)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("adapters", "hub", "tests/support"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=ignore)
    for file in ("pyproject.toml", "tests/__init__.py", "tests/conftest.py", "tests/adapters/__init__.py"):
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / file, tmp_path / file)
    return tmp_path


def test_new_adapter_passes_the_contract_kit_right_after_scaffolding(checkout):
    result = run("adapters", "new", "acme_crm", "--title", "Acme CRM", "--root", str(checkout))
    assert result.exit_code == 0, result.output
    assert "registered AcmeCrmAdapter" in result.output
    registry = (checkout / "adapters" / "__init__.py").read_text()
    assert "from adapters.acme_crm import AcmeCrmAdapter\n" in registry
    assert "        AcmeCrmAdapter,\n    )" in registry
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/adapters/test_acme_crm.py", "-rA", "-p", "no:cacheprovider"],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=240)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    passed = re.search(r"(\d+) passed", tests.stdout)
    assert passed and int(passed.group(1)) >= 20, tests.stdout[-2000:]
    assert "TestAcmeCrmAdapterContract::test_action_sends_the_vendors_request" in tests.stdout
    assert not re.search(r"\b(failed|skipped|error)\b", tests.stdout.splitlines()[-1])
    where = subprocess.run([sys.executable, "-c", "import adapters.acme_crm as m; print(m.__file__)"],
                           cwd=checkout, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip().startswith(str(checkout)), "the copy, not the original, was tested"


def test_new_refuses_a_bad_name_or_an_existing_adapter(checkout):
    assert "use 2-31 lower-case" in run("adapters", "new", "Acme-CRM", "--root", str(checkout)).output
    assert "already exists" in run("adapters", "new", "shopify", "--root", str(checkout)).output
    assert not (checkout / "tests" / "adapters" / "test_shopify.py").exists()


def test_without_registering_it_prints_the_two_lines(checkout):
    before = (checkout / "adapters" / "__init__.py").read_text()
    output = run("adapters", "new", "acme_pos", "--root", str(checkout), "--no-register").output
    assert "from adapters.acme_pos import AcmePosAdapter" in output and "AcmePosAdapter," in output
    assert (checkout / "adapters" / "__init__.py").read_text() == before
    assert (checkout / "adapters" / "acme_pos.py").exists()
