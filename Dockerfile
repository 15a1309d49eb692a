# imgmetrics in a container: `docker build -t imgmetrics .`, then see compose.yaml.
# The wheel is built in a throw-away stage; the image holds only the installed package.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot/ bot/
COPY rules/ rules/
COPY storage/ storage/
COPY revenium/ revenium/
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    IMGMETRICS_DB=/data/imgmetrics.db
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin imgmetrics \
    && mkdir -p /data \
    && chown imgmetrics:imgmetrics /data
# All state (rules, alert states, outbox, the metrics mirror) lives in one SQLite file here.
VOLUME ["/data"]
WORKDIR /data
USER imgmetrics
EXPOSE 3000
# Exec form, no shell: the process is PID 1 and receives SIGTERM itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]
ENTRYPOINT ["imgmetrics"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
