"""Fixtures every test module may use: a fresh hub on a temporary store, its web app, clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest

from hub import clock
from hub.runtime import Runtime, open_runtime
from hub.settings import Settings
from tests.support.fixtures import SECRETS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_url="https://hub.example.com",
                    secret_key="test-master-secret-not-for-production", log_format="text")


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = open_runtime(settings)
    yield runtime
    runtime.store.close()


@pytest.fixture
def app(rt: Runtime):
    from web import create_app

    application = create_app(rt)
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def shopify(rt: Runtime):
    """A Shopify connection named ``shop`` (id ``shopify-shop``) with the fixtures' secret."""
    from hub.connections import add_connection

    return add_connection(rt.store, rt.vault, "shopify", "shop",
                          {"webhook_secret": SECRETS["shopify"],
                           "shop_domain": "northwind-boutique.myshopify.com",
                           "access_token": SECRETS["shopify_access_token"]})


@pytest.fixture
def frozen_clock() -> Iterator[clock.FrozenClock]:
    """The hub's clock stopped at the journey's start (Fri 20 Nov 2026, 09:00 New York)."""
    with clock.frozen(datetime(2026, 11, 20, 14, 0, 0, tzinfo=clock.UTC)) as frozen:
        yield frozen
