import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class ServiceUnavailableMiddleware:
    """While the database or the Redis cache is away, pages answer 503 with a page that says
    which, not a 500 (sign-in's rate limits live in the cache).

    Django reconnects by itself (CONN_HEALTH_CHECKS, redis-py's pool) once it is back, so the
    next request after that succeeds without a restart.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            away = "database"
        elif isinstance(exception, redis.ConnectionError | redis.TimeoutError):
            away = "cache"
        else:
            return None
        # Rendered without the request context: the context processors would query again.
        response = HttpResponse(render_to_string("503.html", {"away": away}), status=503)
        response["Retry-After"] = "30"
        return response
