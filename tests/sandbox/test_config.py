"""SandboxConfig: demo defaults, environment variables, strict parsing."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sandbox.config import DEFAULT_CALLBACK_URLS, ConfigError, SandboxConfig


def test_the_defaults_are_the_documented_demo_app():
    config = SandboxConfig.from_env({})
    assert (config.oauth2_client_id, config.oauth2_client_secret) == (
        "quartile-demo-client",
        "quartile-demo-client-secret",
    )
    assert config.oauth2_public_client_id == "quartile-demo-public-client"
    assert (config.oauth1_consumer_key, config.oauth1_consumer_secret) == (
        "quartile-demo-consumer",
        "quartile-demo-consumer-secret",
    )
    assert (
        config.callback_urls
        == DEFAULT_CALLBACK_URLS
        == (
            "http://127.0.0.1:8000/connect/x/oauth2/callback/",
            "http://127.0.0.1:8000/connect/x/oauth1/callback/",
        )
    )
    assert config.app_bearer_token == "quartile-demo-app-bearer-token"
    assert (config.seed, config.tier, config.anchor) == (1, "pay_per_use", None)
    assert (config.app_owner, config.credits) == (None, None)  # no Owned Reads, no credit limit


def test_every_setting_comes_from_its_environment_variable():
    config = SandboxConfig.from_env(
        {
            "SANDBOX_OAUTH2_CLIENT_ID": "id",
            "SANDBOX_OAUTH2_CLIENT_SECRET": "secret",
            "SANDBOX_OAUTH1_CONSUMER_KEY": "key",
            "SANDBOX_OAUTH1_CONSUMER_SECRET": "consumer-secret",
            "SANDBOX_APP_BEARER_TOKEN": "app-token",
            "SANDBOX_CALLBACK_URLS": "http://a.test/cb/, http://b.test:9000/cb/",
            "SANDBOX_SEED": "7",
            "SANDBOX_TIER": "basic",
            "SANDBOX_ANCHOR": "2026-03-01T00:00:00Z",
            "SANDBOX_APP_OWNER": "quartile_brand",
            "SANDBOX_CREDITS": "12.50",
        }
    )
    assert config.oauth2_client_id == "id" and config.oauth1_consumer_secret == "consumer-secret"
    assert config.callback_urls == ("http://a.test/cb/", "http://b.test:9000/cb/")
    assert config.app_bearer_token == "app-token"
    assert (config.seed, config.tier) == (7, "basic")
    assert config.anchor == datetime(2026, 3, 1, tzinfo=UTC)
    assert (config.app_owner, config.credits) == ("quartile_brand", Decimal("12.50"))


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SANDBOX_TIER", "gold", "SANDBOX_TIER must be one of"),
        ("SANDBOX_SEED", "one", "SANDBOX_SEED must be an integer"),
        ("SANDBOX_CALLBACK_URLS", "/relative/", "not an absolute http(s) URL"),
        ("SANDBOX_CALLBACK_URLS", " , ", "must list at least one URL"),
        ("SANDBOX_ANCHOR", "soon", "SANDBOX_ANCHOR must be an ISO 8601 instant"),
        ("SANDBOX_OAUTH2_CLIENT_SECRET", "", "must not be empty"),
        ("SANDBOX_APP_BEARER_TOKEN", " ", "SANDBOX_APP_BEARER_TOKEN must not be empty"),
        ("SANDBOX_CREDITS", "ten", "SANDBOX_CREDITS must be dollars"),
        ("SANDBOX_CREDITS", "-1", "SANDBOX_CREDITS must be a non-negative amount"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(variable, value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SandboxConfig.from_env({variable: value})


def test_any_callback_list_is_accepted_in_code():
    config = SandboxConfig(callback_urls=("http://127.0.0.1:51234/connect/x/oauth2/callback/",))
    assert len(config.callback_urls) == 1
