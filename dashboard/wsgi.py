"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from dashboard.env import run_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = run_or_exit(get_wsgi_application)
