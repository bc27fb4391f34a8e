# The production image: gunicorn serves the site, WhiteNoise its static files.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
COPY pyproject.toml README.md ./
COPY dashboard dashboard
COPY accounts accounts
COPY metrics metrics
COPY xapi xapi
COPY templates templates
COPY static static
COPY manage.py gunicorn.conf.py ./
RUN pip install --no-cache-dir . \
 && DEBUG=true python manage.py collectstatic --noinput \
 && useradd --system --home /app quartile && mkdir -p /app/var && chown quartile /app/var
USER quartile
EXPOSE 8000
# Workers, threads and timeouts: gunicorn.conf.py.
CMD ["gunicorn"]
