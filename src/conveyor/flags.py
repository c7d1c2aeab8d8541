"""Feature flags: OpenFeature's Python SDK with a provider over flagd's evaluation engine reading
a flagd-format flag file (``CONVEYOR_FLAGS_FILE``), evaluated per request with the user as the
context (ADR 0024).

Without a flag file every flag has its default below. The file is re-read by the provider when
it changes, so a flag flips without a restart; a malformed file stops the process at start,
naming the path and what is wrong (flagd's own parser judges it).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from openfeature import api
from openfeature.contrib.tools.flagd.core import FlagdCore
from openfeature.contrib.tools.flagd.core.model.flag_store import FlagStore
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ParseError
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType
from openfeature.provider import AbstractProvider, Metadata


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


class FlagFileProvider(AbstractProvider):
    """An OpenFeature provider over a flagd-format file, evaluated by flagd's own engine
    (``FlagdCore``: targeting, fractional rollouts, variants). The file is re-read when its
    modification time changes, checked at each evaluation (a ``stat``), so a flag flips without a
    restart and no watcher thread runs. Not the flagd provider package: its gRPC client (~20 MB)
    would push the image over its size budget for a feature that reads a file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.core = FlagdCore()
        self._loaded_mtime: int | None = None
        self._reload()

    def _reload(self) -> None:
        mtime = self.path.stat().st_mtime_ns
        if mtime != self._loaded_mtime:
            # A file that no longer parses keeps the last good flags (validated at start).
            with contextlib.suppress(ValueError, ParseError):
                self.core.set_flags(self.path.read_text())
                self._loaded_mtime = mtime

    def _current(self) -> FlagdCore:
        with contextlib.suppress(OSError):
            self._reload()
        return self.core

    def get_metadata(self) -> Metadata:
        return Metadata(name="conveyor-flag-file")

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        return self._current().resolve_boolean_value(flag_key, default_value, evaluation_context)

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return self._current().resolve_string_value(flag_key, default_value, evaluation_context)

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return self._current().resolve_integer_value(flag_key, default_value, evaluation_context)

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        return self._current().resolve_float_value(flag_key, default_value, evaluation_context)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        return self._current().resolve_object_value(flag_key, default_value, evaluation_context)


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
    api.set_provider_and_wait(FlagFileProvider(path))


def shutdown() -> None:
    """Shut the provider down (OpenFeature's lifecycle) when a process stops."""
    api.shutdown()


def enabled(
    flag: Flag, *, user_id: int | None = None, role: str | None = None, email: str | None = None
) -> bool:
    """The flag's value for this user (targeting may use ``role`` and ``email``)."""
    attributes = {key: value for key, value in (("role", role), ("email", email)) if value is not None}
    context = EvaluationContext(str(user_id) if user_id is not None else None, attributes)
    return api.get_client("conveyor").get_boolean_value(flag.value, DEFAULTS[flag], context)
