"""What can go wrong with storage, in the bot's words rather than a driver's.

Adapters turn every driver error into one of these at their boundary, so that delivery,
handlers and the core decide what to do without knowing SQLite result codes or PostgreSQL
SQLSTATEs. The message is one line meant for the operator.
"""

from __future__ import annotations

# Kinds an operator or a retry loop can act on.
LOCKED = "locked"  # another writer holds the database beyond the busy timeout: retry
CONFLICT = "conflict"  # a serialisation failure or deadlock between concurrent writers: retry
UNAVAILABLE = "unavailable"  # the server cannot be reached (yet): retry
FULL = "full"  # the disk is full: stop
READ_ONLY = "read_only"  # no write access: stop
DAMAGED = "damaged"  # corrupt, not a database, I/O errors: stop
INVALID = "invalid"  # the statement itself is wrong (a constraint, a bug): not the store's fault

TRANSIENT = frozenset({LOCKED, CONFLICT, UNAVAILABLE})
FATAL = frozenset({FULL, READ_ONLY, DAMAGED})


class StorageError(Exception):
    """The store could not do what was asked; `kind` says why (see the constants above)."""

    def __init__(self, message: str, kind: str = DAMAGED) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT


def storage_fault(exc: BaseException | None) -> str | None:
    """Whether an error is the storage's fault rather than the code's.

    "transient": locked, a conflict, the server briefly unreachable (try again later);
    "fatal": read-only, full, damaged (stop; nothing was confirmed to Telegram that was not
    stored, so a restart once it is fixed loses nothing);
    None: not a storage fault (a constraint, an SQL mistake: a bug in the caller).
    """
    while exc is not None:
        if isinstance(exc, StorageError):
            if exc.kind in TRANSIENT:
                return "transient"
            if exc.kind in FATAL:
                return "fatal"
            return None
        exc = exc.__cause__
    return None


def as_storage_error(exc: BaseException) -> StorageError:
    """A StorageError saying what `exc` (or the StorageError behind it) says; a new one, so
    `raise as_storage_error(exc) from exc` chains them without a loop."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, StorageError):
            return StorageError(str(current), current.kind)
        current = current.__cause__
    return StorageError(f"storage failed: {type(exc).__name__}: {exc}")
