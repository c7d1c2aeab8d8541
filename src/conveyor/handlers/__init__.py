"""Job types: the registry teams extend, and the built-in types."""

from conveyor.handlers.registry import (
    JobContext,
    JobError,
    PayloadError,
    PermanentError,
    Registry,
    UnknownJobType,
    discover,
)

__all__ = [
    "JobContext",
    "JobError",
    "PayloadError",
    "PermanentError",
    "Registry",
    "UnknownJobType",
    "discover",
]
