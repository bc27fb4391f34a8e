"""X tokens are encrypted at rest with MultiFernet; a value that cannot be decrypted raises; key
rotation re-encrypts everything, can be interrupted and resumed, and loses nothing."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from accounts import crypto
from accounts.crypto import DecryptionError, Secret
from accounts.models import XCredential
from tests.factories import XCredentialFactory

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _raw(credential_id: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, token_secret"
            " FROM accounts_xcredential WHERE id = %s",
            [credential_id],
        )
        access, refresh, secret = cursor.fetchone()
    return {"access_token": access, "refresh_token": refresh, "token_secret": secret}


def test_the_database_column_holds_no_plaintext(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    credential = XCredentialFactory(
        access_token="plain-access-123", refresh_token="plain-refresh-456"
    )
    raw = _raw(credential.pk)
    assert "plain-access-123" not in raw["access_token"]
    assert "plain-refresh-456" not in raw["refresh_token"]
    assert raw["access_token"].startswith(f"enc:v1:{crypto.key_id(OLD_KEY)}:")


def test_a_loaded_token_is_a_secret_that_does_not_show_itself(settings):
    credential = XCredentialFactory(access_token="plain-access-123")
    loaded = XCredential.objects.get(pk=credential.pk)
    assert isinstance(loaded.access_token, Secret)
    assert loaded.access_token.reveal() == "plain-access-123"
    assert "plain-access-123" not in repr(loaded.access_token)
    assert "plain-access-123" not in str(loaded.access_token)
    assert "plain-access-123" not in f"{loaded.access_token}"
    assert "plain-access-123" not in repr(loaded)


def test_a_token_under_an_unknown_key_raises_instead_of_passing_through(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    credential = XCredentialFactory(access_token="plain-access-123")
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(DecryptionError, match="key id"):
        XCredential.objects.get(pk=credential.pk)


def test_a_value_without_the_encryption_prefix_raises():
    with pytest.raises(DecryptionError):
        crypto.decrypt("plain-access-123")


def test_every_configured_key_decrypts_and_the_first_one_encrypts(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    credential = XCredentialFactory(access_token="plain-access-123")
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert XCredential.objects.get(pk=credential.pk).access_token.reveal() == "plain-access-123"
    assert crypto.encrypt("x").startswith(f"enc:v1:{crypto.key_id(NEW_KEY)}:")


def test_rotation_can_be_interrupted_and_resumed_and_loses_nothing(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    tokens = {}
    for n in range(25):
        credential = XCredentialFactory(
            access_token=f"access-{n}", refresh_token=f"refresh-{n}" if n % 2 else None,
            token_secret=None if n % 2 else f"secret-{n}",
        )  # fmt: skip
        tokens[credential.pk] = (f"access-{n}", f"refresh-{n}" if n % 2 else None)
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    new_prefix = f"enc:v1:{crypto.key_id(NEW_KEY)}:"

    # Interrupted after one batch of ten.
    call_command("rotate_token_keys", batch_size=10, max_batches=1)
    on_new_key = [pk for pk in tokens if _raw(pk)["access_token"].startswith(new_prefix)]
    assert len(on_new_key) == 10

    # Run again to the end.
    call_command("rotate_token_keys", batch_size=10)
    for pk in tokens:
        for value in _raw(pk).values():
            assert value is None or value.startswith(new_prefix)

    # The old key can now be retired: everything decrypts under the new key alone.
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]
    for pk, (access, refresh) in tokens.items():
        credential = XCredential.objects.get(pk=pk)
        assert credential.access_token.reveal() == access
        assert (credential.refresh_token.reveal() if credential.refresh_token else None) == refresh
