# payable against an external PostgreSQL:
#   docker run -e DATABASE_URL=... -e PAYABLE_JWT_SECRET=... -e PAYABLE_PUBLIC_URL=https://... \
#     -e PAYABLE_DEFAULT_PROVIDER=arca \
#     -e PAYABLE_ARCA_USERNAME=... -e PAYABLE_ARCA_PASSWORD=... -p 8000:8000
# Production mode: it refuses to start if a tenant would pay through the sandbox test gateway,
# without a public URL, or on a short JWT secret
# (add -e PAYABLE_ENV=demo for a test deployment).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PAYABLE_ENV=production
WORKDIR /app

COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN pip install . && useradd --system --uid 10001 --home-dir /app payable

USER payable
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["payable", "serve", "--host", "0.0.0.0", "--port", "8000"]
