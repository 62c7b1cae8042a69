"""The gate's warehouse URL (with the gate role's password) is in os.environ only while GX runs a
checkpoint, then what was there before is back."""

import os

import pytest

from crvs.quality import runner

SECRET_URL = "postgresql://crvs_gate:s3cret-pw@db.example:5432/crvs"


def test_the_url_is_set_only_while_gx_runs(monkeypatch):
    monkeypatch.setenv("CRVS_WAREHOUSE_URL", SECRET_URL)
    monkeypatch.delenv(runner.URL_VARIABLE, raising=False)
    with runner._warehouse_url_for_gx():
        assert os.environ[runner.URL_VARIABLE] == SECRET_URL
    assert runner.URL_VARIABLE not in os.environ
    assert not [name for name, value in os.environ.items() if "s3cret-pw" in value and name != "CRVS_WAREHOUSE_URL"]


def test_a_value_there_before_is_put_back_even_when_gx_fails(monkeypatch):
    monkeypatch.setenv("CRVS_WAREHOUSE_URL", SECRET_URL)
    monkeypatch.setenv(runner.URL_VARIABLE, "before")
    with pytest.raises(RuntimeError), runner._warehouse_url_for_gx():
        assert os.environ[runner.URL_VARIABLE] == SECRET_URL
        raise RuntimeError("GX broke")
    assert os.environ[runner.URL_VARIABLE] == "before"
