# The CX platform image: gunicorn (web), Celery worker and beat all run from it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=cxplatform.settings \
    MEDIA_ROOT=/data/media \
    BROWSER_PATH=/usr/bin/chromium

# Pango/HarfBuzz/fontconfig for WeasyPrint (PDF reports), fonts for it to draw with (DejaVu, Liberation: every Nordic
# letter), Chromium for kaleido (the report's charts as SVG), gettext for compilemessages.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core \
        fonts-liberation chromium gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files are collected (and compressed) at build time; the build-only key never reaches a running container.
RUN DEBUG=False SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput -v0 \
    && if [ -d locale ]; then DEBUG=False SECRET_KEY=build-only-not-a-secret python manage.py compilemessages -v0; fi \
    && useradd --create-home --uid 10001 app \
    && mkdir -p /data/media \
    && chown app:app /data/media \
    && chmod +x scripts/docker-entrypoint.sh

USER app
EXPOSE 8000
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
# One worker per CPU core (2 on the reference machine: 3 workers on 2 cores served 20 % less, see README).
# Behind nginx (deploy/nginx/): the timeouts match docker-compose.yml's web service.
CMD ["gunicorn", "cxplatform.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--worker-class", "gthread", \
     "--threads", "3", "--timeout", "60", "--graceful-timeout", "30", "--keep-alive", "5", "--no-control-socket", \
     "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
