# The bot, ready for `docker run`. Settings come from env vars (see README.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite:////data/bot.db \
    CONTENT_DIR=/app/content

RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data \
    && chown bot:bot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .
COPY content ./content
COPY locales ./locales

USER bot
# The database (and its WAL) lives here: mount a volume so requests survive the container.
VOLUME ["/data"]

# A content pack of the operator's own can be mounted over /app/content.
CMD ["python", "-m", "bot", "run"]
