"""Getting updates in durably and messages out reliably: poller, inbox worker, outbox worker."""

from datetime import timedelta


def retry_seconds(value: int | timedelta) -> float:
    """Telegram's retry_after as seconds (PTB gives an int or, opted in, a timedelta)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
