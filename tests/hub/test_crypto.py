"""Credentials are encrypted with a key derived from the master secret, never stored."""

from __future__ import annotations

import pytest

from hub.crypto import DecryptionError, Vault


def test_round_trip_and_ciphertext_hides_the_value():
    vault = Vault("master-one")
    token = vault.encrypt({"auth_token": "tw_test_0123"})
    assert "tw_test_0123" not in token
    assert vault.decrypt(token) == {"auth_token": "tw_test_0123"}


def test_a_different_master_secret_cannot_read_it_and_says_why():
    token = Vault("master-one").encrypt({"k": "v"})
    with pytest.raises(DecryptionError, match="HUB_SECRET_KEY or DATA_DIR/secret.key differs"):
        Vault("master-two").decrypt(token)


def test_repr_reveals_no_key():
    assert "master" not in repr(Vault("master-one"))
