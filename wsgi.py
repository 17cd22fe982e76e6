"""The WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from coop_platform import create_app

app = create_app()
