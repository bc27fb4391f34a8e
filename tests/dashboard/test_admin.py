"""Django admin lists every model, and X's data in it is inert and read-only."""

from http import HTTPStatus

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory, XAccountFactory

pytestmark = pytest.mark.django_db

OURS = {"accounts", "metrics", "dashboard"}


def test_every_model_of_ours_is_in_the_admin():
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in OURS and model not in admin.site._registry
    ]
    assert missing == []


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_changelist_opens(staff_client):
    XAccountFactory()
    for model in admin.site._registry:
        if model._meta.app_label in OURS:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert staff_client.get(url).status_code == HTTPStatus.OK, url


def test_post_text_is_escaped_in_the_admin(staff_client):
    from metrics.models import Post

    account = XAccountFactory()
    post = Post.objects.create(
        account=account, x_post_id=1, text="<script>alert(1)</script>",
        created_at="2026-11-01T00:00:00Z",
    )  # fmt: skip
    page = staff_client.get(reverse("admin:metrics_post_changelist")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    detail = staff_client.get(reverse("admin:metrics_post_change", args=[post.pk]))
    assert "<script>alert(1)</script>" not in detail.content.decode()
