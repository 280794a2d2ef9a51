# The Skillport proxy: `skillport serve` behind a non-root user.
#
#   docker build -t skillport .
#   docker run -p 8000:8000 -v /srv/skillport:/etc/skillport skillport
#
# /etc/skillport holds skillport.yaml (store, keys, sign-in; see docs/proxy.md), the trusted public
# key(s) and, by default, the state database skillport.db. Secrets (the OIDC client secret, the
# store's credentials, SKILLPORT_SECRET) come from the environment, never from the image.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY skillport_build ./skillport_build
COPY templates ./templates
COPY marketplace-template ./marketplace-template
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/skillport --create-home skillport
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER skillport
WORKDIR /var/lib/skillport
ENV SKILLPORT_HOST=0.0.0.0 \
    SKILLPORT_PORT=8000 \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["skillport", "serve"]
CMD ["--config", "/etc/skillport/skillport.yaml"]
