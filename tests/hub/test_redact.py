"""Secrets and phone numbers are masked wherever text leaves the process."""

from __future__ import annotations

import pytest

from hub.redact import MASK, last4, redact_headers, redact_mapping, redact_text, register_secret


def test_registered_secret_is_scrubbed_from_any_text():
    register_secret("shpat_test_0123456789abcdef")
    text = "GET https://x/admin?token=shpat_test_0123456789abcdef failed"
    assert "shpat_test" not in redact_text(text)


@pytest.mark.parametrize("text", [
    "Authorization: Bearer pat-na1-11112222-3333",
    "authorization: Klaviyo-API-Key pk_live_abcdef123456",
    "Basic QUMxMjM6c2VjcmV0",
])
def test_authorization_schemes_are_masked(text):
    assert MASK in redact_text(text)
    assert text.split()[-1] not in redact_text(text)


@pytest.mark.parametrize("phone", ["+14155550142", "(415) 555-0142", "415-555-0142"])
def test_phone_numbers_keep_only_two_digits(phone):
    assert redact_text(f"SMS to {phone} failed") == f"SMS to {MASK}42 failed"


def test_ids_and_amounts_are_not_mistaken_for_phones():
    text = "order 5801234567890 total 176.00 at 2026-11-20T14:00:05Z"
    assert redact_text(text, phones=False) == text


def test_secret_named_fields_are_masked_in_nested_data():
    data = {"auth_token": "tw_x", "nested": {"X-Twilio-Signature": "abc", "to": "+14155550142"},
            "items": [{"api_key": "k"}]}
    assert redact_mapping(data) == {"auth_token": MASK, "nested": {
        "X-Twilio-Signature": MASK, "to": "+14155550142"}, "items": [{"api_key": MASK}]}
    assert redact_mapping(data, phones=True)["nested"]["to"] == f"{MASK}42"


def test_headers_keep_names_but_not_secret_values():
    headers = redact_headers({"X-Shopify-Hmac-Sha256": "sig", "X-Shopify-Topic": "orders/create",
                              "X-Shopify-Access-Token": "shpat_1"})
    assert headers == {"X-Shopify-Hmac-Sha256": MASK, "X-Shopify-Topic": "orders/create",
                       "X-Shopify-Access-Token": MASK}


def test_last4_shows_the_end_of_long_secrets_only():
    assert last4("shpss_test_5f0c1d2e3a4b") == f"{MASK}3a4b"
    assert last4("short") == MASK and last4("") == ""


def test_dates_and_log_timestamps_are_not_mistaken_for_phone_numbers():
    from hub.redact import redact_text

    line = "2026-11-27 13:41:39,815 WARNING deferred to 2026-11-28, call +1 415 555 0142"
    assert redact_text(line) == "2026-11-27 13:41:39,815 WARNING deferred to 2026-11-28, call ••••42"
