"""Error reports mask credentials in every setting, and what any anonymous client can cause at
will (an unknown Host, an oversized or overfull body) is logged, not mailed to the admins."""

import logging
import sys
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.views.debug import get_exception_reporter_class

pytestmark = pytest.mark.django_db

PASSWORD = "broker-pw-9f2c"


def test_credentials_in_broker_and_cache_urls_are_masked_in_error_reports(settings, rf):
    settings.REDIS_URL = f"redis://:{PASSWORD}@redis.internal:6379/0"
    settings.CELERY_BROKER_URL = f"rediss://quartile:{PASSWORD}@redis.internal:6380/1"
    settings.CACHES = {
        **settings.CACHES,
        "reports": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": [f"redis://:{PASSWORD}@replica.internal:6379/2"],
        },
    }
    try:
        raise RuntimeError("something broke")
    except RuntimeError:
        reporter = get_exception_reporter_class(None)(rf.get("/"), *sys.exc_info())
        text, html = reporter.get_traceback_text(), reporter.get_traceback_html()

    assert "redis.internal:6379/0" in text  # still says where, for whoever debugs it
    for report in (text, html):
        assert PASSWORD not in report


@pytest.mark.parametrize("case", ["unknown host", "too many fields", "body too large"])
def test_what_any_client_can_cause_is_logged_not_mailed(case, client, settings, caplog):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    caplog.set_level(logging.INFO)
    if case == "unknown host":
        response = client.get(reverse("account_login"), HTTP_HOST="attacker.example")
    elif case == "too many fields":
        fields = {f"f{n}": "x" for n in range(20)}
        response = client.post(reverse("account_login"), fields)
    else:
        response = client.post(reverse("account_login"), {"login": "x" * 5000})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert mail.outbox == []
    assert any(r.name.startswith("django.security") for r in caplog.records)
