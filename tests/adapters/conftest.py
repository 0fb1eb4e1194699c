"""Shared by the vendor adapters' tests."""

from __future__ import annotations

import pytest
import responses


@pytest.fixture
def mocked():
    """Vendor HTTP mocked with ``responses``; a registered reply need not be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
