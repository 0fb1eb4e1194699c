"""Settings come from HUB_* variables, once; bad values are refused with the variable's name."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from hub.settings import Settings, SettingsError, ensure_secret_key, from_env


def test_environment_values_are_typed():
    settings = from_env({"HUB_DATA_DIR": "/srv/hub", "HUB_PORT": "9000",
                         "HUB_DELIVERY_MAX_AGE_HOURS": "1.5"})
    assert settings.data_dir == Path("/srv/hub") and settings.port == 9000
    assert settings.delivery_max_age_hours == 1.5
    assert settings.database_path == Path("/srv/hub/hub.db")


def test_command_line_overrides_win_over_environment():
    assert from_env({"HUB_PORT": "9000"}, port=9100).port == 9100


@pytest.mark.parametrize("env, message", [
    ({"HUB_PORT": "eighty"}, "HUB_PORT='eighty' is not a valid int"),
    ({"HUB_SQLITE_SYNCHRONOUS": "OFF"}, "HUB_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA"),
    ({"HUB_PUBLIC_URL": "hub.example.com"}, "HUB_PUBLIC_URL must start with http"),
    ({"HUB_LOG_FORMAT": "xml"}, "HUB_LOG_FORMAT must be json or text"),
    ({"HUB_TIMEZONE": "Mars/Olympus"}, "HUB_TIMEZONE='Mars/Olympus' is not an IANA time zone"),
    ({"HUB_QUIET_HOURS": "late"}, "HUB_QUIET_HOURS: quiet hours 'late' are not HH:MM-HH:MM"),
])
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        from_env(env)


def test_secret_key_file_is_created_once_private_and_outside_the_database(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = ensure_secret_key(settings)
    second = ensure_secret_key(settings)
    assert first.secret_key and first.secret_key == second.secret_key
    mode = stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode)
    assert mode == 0o600


def test_processes_starting_together_agree_on_one_key(tmp_path):
    keys: list[str | None] = []
    threads = [threading.Thread(target=lambda: keys.append(
        ensure_secret_key(Settings(data_dir=tmp_path)).secret_key)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and None not in keys
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".secret")]


def test_configured_secret_key_is_used_as_given(tmp_path):
    settings = ensure_secret_key(Settings(data_dir=tmp_path, secret_key="from-env"))
    assert settings.secret_key == "from-env" and not (tmp_path / "secret.key").exists()
