# syntax=docker/dockerfile:1
# Rollout Advisor: the site under gunicorn. Build: docker build -t rollout-advisor .
# Run:   docker run -p 127.0.0.1:8000:8000 -v advisor-data:/data rollout-advisor
#        (the first start prints the generated admin password in the log)
# Two instances, a job worker and PostgreSQL: compose.yaml.

# --- build: compile durable_rules (sdist only, C) and everything else into a virtualenv ---------
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY requirements/main.txt requirements/main.txt
RUN pip install --require-hashes -r requirements/main.txt
COPY pyproject.toml README.md babel.cfg ./
COPY advisor advisor
COPY web web
COPY tools tools
COPY rules rules
# The Swedish catalogue (advisor/translations) is checked and compiled first, so that the package
# includes it.
RUN python -m tools.build_translations && pip install --no-deps .
# A bad rulebook stops the build, never a request.
RUN advisor rules check rules && advisor rules test rules

# --- runtime: no compiler, a non-root user, the rules as data -----------------------------------
# The site runs as `advisor` (uid 10001) and writes only /data, its home and the volume: the SQLite
# database (unless ADVISOR_DATABASE_URL names another), the secret key, the last good rulebook and
# the migration lock. The code (/opt/venv) and the shipped rules (/app/rules) are root's: read-only
# to the site. A new named volume takes /data's owner from the image; a host folder mounted
# there must belong to uid 10001.
FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --create-home --shell /usr/sbin/nologin advisor
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/rules /app/rules
ENV PATH=/opt/venv/bin:$PATH \
    ADVISOR_RULES_DIR=/app/rules \
    ADVISOR_INSTANCE_DIR=/data \
    ADVISOR_BIND=0.0.0.0:8000 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER advisor
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["python", "-m", "web.healthcheck"]
CMD ["gunicorn", "-c", "python:web.gunicorn_conf", "web.wsgi:app"]
