"""What the simulated accounts are: credentials, senders and documented limits per vendor.

The defaults are made-up demo credentials (never real ones) and the limits written in
``docs/vendor-apis.md``; tests and ``hub demo`` pass their own values, e.g. a small bucket so a
429 is reached in a few requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ShopifyConfig:
    """One shop; REST bucket of ``bucket_size`` leaking ``leak_per_second`` (standard plan)."""

    shop_domain: str = "northwind-boutique.myshopify.com"
    access_token: str = field(default="shpat_simulator_0123456789abcdef", repr=False)
    webhook_secret: str = field(default="shpss_simulator_5f0c1d2e3a4b", repr=False)
    api_version: str = "2025-10"
    bucket_size: int = 40
    leak_per_second: float = 2.0
    #: Shopify answers a full bucket with ``Retry-After: 2.0`` (fixture ``rest_429``).
    retry_after: float = 2.0
    seed_data: bool = True


@dataclass(frozen=True)
class KlaviyoTier:
    """Klaviyo's fixed windows: ``burst`` per second and ``steady`` per minute."""

    burst: int
    steady: int


KLAVIYO_TIERS = {
    "XS": KlaviyoTier(1, 15), "S": KlaviyoTier(3, 60), "M": KlaviyoTier(10, 150),
    "L": KlaviyoTier(75, 700), "XL": KlaviyoTier(350, 3500),
}


@dataclass(frozen=True)
class KlaviyoConfig:
    """One account. ``tiers`` maps an endpoint name to its rate-limit tier (vendor-apis.md)."""

    private_key: str = field(default="pk_simulator_0a1b2c3d4e5f", repr=False)
    tiers: dict[str, KlaviyoTier] = field(default_factory=lambda: {
        "events": KLAVIYO_TIERS["XL"],
        "profile-import": KLAVIYO_TIERS["L"],
        "profile-subscription-bulk-create-jobs": KLAVIYO_TIERS["L"],
        "profile-subscription-bulk-delete-jobs": KLAVIYO_TIERS["L"],
        "accounts": KLAVIYO_TIERS["XS"],
    })


@dataclass(frozen=True)
class TwilioConfig:
    """One account with its senders. ``max_concurrent`` in-flight API requests, then 20429."""

    account_sid: str = "AC51515151515151515151515151515151"
    auth_token: str = field(default="tw_simulator_0123456789abcdef01234567", repr=False)
    #: Extra (API key SID, secret) pairs accepted for Basic auth besides the account's own.
    api_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    phone_numbers: tuple[str, ...] = ("+14155550100",)
    messaging_services: tuple[str, ...] = ("MG7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c",)
    max_concurrent: int = 100
    #: Real seconds before each status callback (``sent`` then ``delivered``).
    status_callback_delay: float = 0.2
    #: Recipients whose messages end ``undelivered`` with ErrorCode 30003.
    unreachable: tuple[str, ...] = ()


@dataclass(frozen=True)
class HubSpotConfig:
    """One portal on the Free/Starter limits: 100 requests per 10 s, 250,000 per day."""

    access_token: str = field(default="pat-na1-simulator-00000000-0000-4000-8000-000000000000",
                              repr=False)
    portal_id: int = 24681357
    ten_second_limit: int = 100
    daily_limit: int = 250_000
    #: Contact properties that exist besides HubSpot's defaults (custom ones must exist first).
    #: The hub's ``hub_*`` properties are there already; ``()`` makes the hub create them.
    custom_properties: tuple[str, ...] = (
        "hub_cart_items", "hub_cart_value", "hub_wishlist", "hub_last_channel",
        "hub_sms_consent", "hub_email_consent", "hub_last_order_name", "hub_last_order_date",
        "hub_last_order_value", "hub_lifetime_value", "hub_order_count",
    )
    #: The app's client secret, which signs the webhooks HubSpot sends (v3 signature).
    client_secret: str = field(default="hs_simulator_client_secret_42", repr=False)
    #: Contact search has its own limit (5 requests/s per account, unverified).
    search_per_second: int = 5


@dataclass(frozen=True)
class SimConfig:
    """Every simulated vendor's account in one value."""

    shopify: ShopifyConfig = field(default_factory=ShopifyConfig)
    klaviyo: KlaviyoConfig = field(default_factory=KlaviyoConfig)
    twilio: TwilioConfig = field(default_factory=TwilioConfig)
    hubspot: HubSpotConfig = field(default_factory=HubSpotConfig)
    #: Shared secrets for the wishlist senders (hub contract HMAC key; Swym static bearer).
    wishlist_secret: str = field(default="wl_simulator_9a8b7c6d", repr=False)
    swym_token: str = field(default="wl_swym_simulator_3e7a9c1d", repr=False)
