# One image for both services; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Every package the services import, with its data files (the dashboard's static files, the
# simulated providers' personas/*.toml), and the SQL migration for Supabase and hand-run Postgres.
COPY pyproject.toml README.md ./
COPY api ./api
COPY voice_backend ./voice_backend
COPY shared ./shared
COPY pricing ./pricing
COPY cli ./cli
COPY migrations ./migrations
RUN pip install . && useradd --create-home haggle && mkdir -p /app/data && chown haggle /app/data

USER haggle
EXPOSE 8000 6000
CMD ["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000"]
