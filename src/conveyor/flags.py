"""Feature flags: OpenFeature's Python SDK with the flagd provider reading a flagd-format flag
file (``CONVEYOR_FLAGS_FILE``), evaluated per request with the user as the context (ADR 0024).

Without a flag file every flag has its default below. The file is re-read by the provider when
it changes, so a flag flips without a restart; a malformed file stops the process at start,
naming the path and what is wrong (flagd's own parser judges it).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

from openfeature import api
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.contrib.tools.flagd.core.model.flag_store import FlagStore
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ParseError


class Flag(StrEnum):
    WEBHOOK_DELIVERIES = "webhook-deliveries"
    CONSOLE_FLAGS_PAGE = "console-flags-page"


DEFAULTS: dict[Flag, bool] = {
    # Kill switch: off holds every outbound webhook delivery (retried later, never dropped).
    Flag.WEBHOOK_DELIVERIES: True,
    # Dark launch: the console's /flags page, off until targeted at someone.
    Flag.CONSOLE_FLAGS_PAGE: False,
}

DESCRIPTIONS: dict[Flag, str] = {
    Flag.WEBHOOK_DELIVERIES: "Outbound webhook deliveries are sent (off: held and retried later).",
    Flag.CONSOLE_FLAGS_PAGE: "The console shows this page of flags.",
}


class FlagFileError(ValueError):
    """The flag file is missing or malformed; the message names the path."""


def configure(path: Path | None) -> None:
    """Evaluate flags from ``path`` (flagd format), or from the defaults when None."""
    if path is None:
        api.clear_providers()  # the no-op provider: every flag at its default
        return
    try:
        document = json.loads(path.read_text())
        if not isinstance(document, dict):
            raise ParseError("the file must hold a JSON object with a `flags` key")
        FlagStore().update(document)
    except OSError as exc:
        raise FlagFileError(f"CONVEYOR_FLAGS_FILE: cannot read {path}: {exc.strerror}") from None
    except (ValueError, ParseError) as exc:
        raise FlagFileError(f"CONVEYOR_FLAGS_FILE: {path} is not a valid flagd flag file: {exc}") from None
    api.set_provider_and_wait(
        FlagdProvider(resolver_type=ResolverType.FILE, offline_flag_source_path=str(path))
    )


def shutdown() -> None:
    """Stop the provider's file watcher (a thread that would otherwise hold the process up to
    its poll interval after the server has stopped)."""
    api.shutdown()


def enabled(
    flag: Flag, *, user_id: int | None = None, role: str | None = None, email: str | None = None
) -> bool:
    """The flag's value for this user (targeting may use ``role`` and ``email``)."""
    attributes = {key: value for key, value in (("role", role), ("email", email)) if value is not None}
    context = EvaluationContext(str(user_id) if user_id is not None else None, attributes)
    return api.get_client("conveyor").get_boolean_value(flag.value, DEFAULTS[flag], context)
