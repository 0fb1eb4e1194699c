"""Connect a fresh hub to the simulators, enable every shipped recipe, create the owner."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from hub.connections import add_connection
from hub.engine import instances
from hub.engine.catalog import load_catalog
from hub.runtime import Runtime
from hub.simulators import SimConfig

OWNER_EMAIL = "owner@northwind.example"
SHOP_NAME = "Northwind"


@dataclass(frozen=True)
class DemoAccounts:
    owner_email: str
    owner_password: str
    connection_ids: dict[str, str]


def connect(rt: Runtime, sims_url: str, config: SimConfig) -> dict[str, str]:
    """One connection per vendor, each pointing at its simulator; returns adapter → id."""
    store, vault = rt.store, rt.vault
    values = {
        "shopify": {"webhook_secret": config.shopify.webhook_secret,
                    "shop_domain": config.shopify.shop_domain,
                    "access_token": config.shopify.access_token,
                    "api_base_url": f"{sims_url}/shopify"},
        "klaviyo": {"api_key": config.klaviyo.private_key, "list_id": "RkTq2Z",
                    "api_base_url": f"{sims_url}/klaviyo"},
        "twilio": {"account_sid": config.twilio.account_sid,
                   "auth_token": config.twilio.auth_token,
                   "from_number": config.twilio.phone_numbers[0],
                   "api_base_url": f"{sims_url}/twilio"},
        "hubspot": {"access_token": config.hubspot.access_token,
                    "client_secret": config.hubspot.client_secret,
                    "api_base_url": f"{sims_url}/hubspot"},
        "wishlist": {"webhook_secret": config.wishlist_secret},
    }
    return {adapter: add_connection(store, vault, adapter, "demo", fields,
                                    actor="demo").id
            for adapter, fields in values.items()}


def enable_recipes(rt: Runtime) -> list[str]:
    """Every shipped recipe with its defaults (the shop's name for the SMS)."""
    enabled = []
    for recipe in load_catalog().recipes.values():
        params = {"shop_name": SHOP_NAME} if "shop_name" in recipe.params else {}
        enabled.append(instances.enable(rt.store, recipe.id, params, actor="demo").id)
    return enabled


def create_owner(rt: Runtime) -> tuple[str, str]:
    from hub import users

    password = secrets.token_urlsafe(12)
    users.create_owner(rt.store, OWNER_EMAIL, "Demo owner", password)
    return OWNER_EMAIL, password


def prepare(rt: Runtime, sims_url: str, config: SimConfig) -> DemoAccounts:
    connection_ids = connect(rt, sims_url, config)
    enable_recipes(rt)
    email, password = create_owner(rt)
    return DemoAccounts(email, password, connection_ids)
