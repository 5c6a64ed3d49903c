# incident-bot as a container: `docker compose up` (compose.yaml) runs it beside a Chroma
# server. Built from pyproject.toml like any install, without the test extras: the wheel
# carries the prompts, default settings, seed documents, embedding model and tokenizer,
# so nothing is downloaded at run time.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /data incident \
    && mkdir /data && chown incident /data
USER incident
# The working directory is the volume: DATA_DIR (index, bot state) and the documents
# folder (seeds/, filled with the shipped seed on first start; uploads land there too).
WORKDIR /data
ENV DATA_DIR=/data
VOLUME ["/data"]
# Webhook mode only (WEBHOOK_URL set): WEBHOOK_PORT's default.
EXPOSE 8443
CMD ["incident-bot", "run"]
