"""Log lines that carry no token: request paths and query strings are redacted before any
handler sees them (invitation links, password-reset keys, OAuth codes and verifiers)."""

import logging
import re

REDACTED = "[redacted]"
# Paths whose last part is a secret, and query parameters that are (at the start of a bare
# query string too).
_SECRET_PATHS = re.compile(r"(/invitations/|/password/reset/key/|/confirm-email/)[^/\s?\"']+")
_SECRET_PARAMETERS = re.compile(
    r"(?<![^?&])(code|state|token|oauth_token|oauth_verifier|denied|key)=[^&\s\"']*", re.I
)


def redact(text: str) -> str:
    text = _SECRET_PATHS.sub(rf"\1{REDACTED}", text)
    return _SECRET_PARAMETERS.sub(rf"\1={REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites the record's message, once formatted, without the secrets above."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


try:  # gunicorn serves production; the embedded demo runs without it
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = None

if _GunicornLogger is not None:

    class RedactingGunicornLogger(_GunicornLogger):
        """gunicorn's logger (gunicorn.conf.py `logger_class`), whose access-log lines carry
        the request line without its secrets."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
