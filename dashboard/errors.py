"""Error reports (the 500 e-mail to ADMINS) that carry no token, code or secret.

Django's reports list every frame's local variables and the request's query string. Frames of
the code that handles X's tokens, and of the HTTP and OAuth libraries under it, hold bearer
tokens, authorization codes, PKCE verifiers and signed headers; OAuth callbacks carry codes
and tokens in their query strings. Those are replaced by Django's cleansed placeholder.
"""

import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SECRET_BEARING_MODULES = (
    "accounts.connections",
    "accounts.credentials",
    "accounts.crypto",
    "accounts.fields",
    "xapi",
    "requests",
    "requests_oauthlib",
    "oauthlib",
    "urllib3",
)
SENSITIVE_QUERY_PARAMETERS = re.compile(r"code|state|token|verifier|secret|denied", re.I)
# The password of a URL with credentials (redis://:pw@host, postgresql://user:pw@host), in any
# setting: REDIS_URL, CELERY_BROKER_URL and a cache's LOCATION match none of Django's names.
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?P<at>@)", re.I)


def _bears_secrets(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in SECRET_BEARING_MODULES)


class QuartileExceptionReporterFilter(SafeExceptionReporterFilter):
    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)  # recurses into dicts and lists here
        if isinstance(cleansed, str):
            return URL_PASSWORD.sub(rf"\g<head>{self.cleansed_substitute}\g<at>", cleansed)
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        if _bears_secrets(tb_frame.f_globals.get("__name__", "")):
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        for key in ("QUERY_STRING", "REQUEST_URI", "RAW_URI"):
            if meta.get(key):
                meta[key] = self.cleansed_substitute
        return meta


class QuartileExceptionReporter(ExceptionReporter):
    def get_traceback_data(self):
        data = super().get_traceback_data()
        substitute = self.filter.cleansed_substitute
        if "request_GET_items" in data:
            data["request_GET_items"] = [
                (key, substitute if SENSITIVE_QUERY_PARAMETERS.search(key) else value)
                for key, value in data["request_GET_items"]
            ]
        if data.get("request_insecure_uri"):
            data["request_insecure_uri"] = data["request_insecure_uri"].split("?", 1)[0]
        return data
