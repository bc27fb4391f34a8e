from django.db import models

from accounts import crypto


class EncryptedSecretField(models.TextField):
    """A text column holding a `crypto.Secret`: encrypted when saved, decrypted when loaded."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return crypto.Secret(crypto.decrypt(value))

    def to_python(self, value):
        if value is None or isinstance(value, crypto.Secret):
            return value
        return crypto.Secret(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, crypto.Secret):
            value = value.reveal()
        return crypto.encrypt(value)
