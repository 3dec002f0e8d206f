# Images for docker-compose.yml. Two targets:
#   oms-cds (the default, last stage): the service on a slim Python image, as a non-root user.
#   hapi: hapiproject/hapi, pinned, plus a compiled health-check class, because that image is
#         distroless (no shell, curl or wget; a JRE that cannot run .java sources).
# Build the service alone with `docker build -t oms-cds .`

# ---- hapi -------------------------------------------------------------------------------
FROM eclipse-temurin:17-jdk-jammy AS hapi-healthcheck
WORKDIR /build
COPY docker/hapi-healthcheck/HealthCheck.java .
RUN javac --release 17 -d /healthcheck HealthCheck.java

FROM hapiproject/hapi:v8.8.0-1 AS hapi
COPY --from=hapi-healthcheck /healthcheck /healthcheck
HEALTHCHECK --interval=10s --timeout=15s --start-period=180s --retries=6 \
    CMD ["java", "-Xmx32m", "-cp", "/healthcheck", "HealthCheck", "http://localhost:8080/fhir/metadata"]

# ---- oms-cds ----------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY profiles/fsh-generated/resources profiles/fsh-generated/resources
COPY service service
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm AS oms-cds
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMS_HOST=0.0.0.0 \
    OMS_PORT=8080
RUN useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin oms
COPY --from=wheels /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-index --find-links /tmp/wheels oms-cds && rm -rf /tmp/wheels
WORKDIR /app
# CDS Hooks feedback is stored in SQLite under var/ (OMS_CDS_FEEDBACK_DB): the only place
# the service writes, so the only folder its user owns. Mount a volume there to keep it.
RUN mkdir -p /app/var && chown 10001 /app/var
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8080/healthz', timeout=3).status != 200)"]
CMD ["oms-cds", "serve"]
