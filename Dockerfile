# Multi-stage: wheels are built in the first stage, the runtime image holds no compiler.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt .
RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r requirements.txt

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=numerai.settings NUMERAI_VAR_DIR=/app/var
RUN groupadd --system numerai && useradd --system --gid numerai --home /app numerai
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=numerai:numerai . .
RUN mkdir -p /app/var && chown numerai:numerai /app/var \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0
USER numerai
EXPOSE 8000
CMD ["python", "-m", "realtime.serve", "--host", "0.0.0.0", "--port", "8000"]
