"""Tell the team's chat: POST {"text": ...} to CHAT_WEBHOOK_URL (Slack, Mattermost, Google Chat
and Teams workflows all take that shape).

    CHAT_WEBHOOK_URL=https://hooks.example/... python scripts/delivery/notify.py --title T [--link URL]

The URL is a secret of the repository's `notifications` environment (and of each deploy
environment). Without it the script says so and exits 0: notifications are optional, the failed
run itself stays red. Only https is accepted (http only to loopback, for tests).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit


class NotifyError(Exception):
    pass


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post(url: str, text: str, timeout: float = 10.0) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname or "")):
        raise NotifyError("CHAT_WEBHOOK_URL must be an https:// URL")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise NotifyError(f"the chat webhook answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError) as exc:
        raise NotifyError(f"the chat webhook is unreachable: {exc}") from exc
    if status >= 300:
        raise NotifyError(f"the chat webhook answered HTTP {status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--title", required=True)
    parser.add_argument("--link", default="")
    args = parser.parse_args(argv)
    url = os.environ.get("CHAT_WEBHOOK_URL", "")
    if not url:
        print("notify: CHAT_WEBHOOK_URL is not set: no chat notification sent")
        return 0
    text = f"{args.title}\n{args.link}".strip()
    try:
        post(url, text)
    except NotifyError as exc:  # the message never carries the URL: it is a secret
        print(f"notify: {exc}", file=sys.stderr)
        return 1
    print("notify: sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
