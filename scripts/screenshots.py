"""Screenshots of the console for the README: light and dark, desktop and phone.

Starts a throwaway Conveyor (scripts/local_stack.py), gives it some work — jobs that succeed,
one that dies, a paused queue, a schedule — and photographs the pages with Debian's Chromium
through Playwright. Run: ``make screenshots`` (writes docs/screenshots/*.png).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from local_stack import PASSWORD, Stack, running_stack

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
PAGES = {"overview": "/", "jobs": "/jobs", "schedule": "/schedules/new"}


def seed(stack: Stack) -> None:
    with httpx.Client(
        base_url=f"{stack.api}/api/v1", headers={"Authorization": f"Bearer {stack.admin_key}"}, timeout=30
    ) as api:
        api.post("/jobs/batch", json={"jobs": [{"type": "echo", "payload": {"n": n}} for n in range(40)]})
        api.post("/jobs/batch", json={"jobs": [{"type": "sleep", "payload": {"seconds": 0.2}}] * 10})
        api.post(
            "/jobs",
            json={"type": "fail", "payload": {"times": 5, "retryable": False, "message": "card declined"}},
        )
        api.post("/jobs/batch", json={"jobs": [{"type": "noop", "queue": "emails"}] * 25})
        api.post("/queues/emails/pause")
        api.post("/jobs", json={"type": "noop", "queue": "emails"})
        api.post(
            "/schedules",
            json={"name": "nightly report", "cron": "0 3 * * *", "job": {"type": "echo", "payload": {}}},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(api.get("/jobs", params={"state": "succeeded", "limit": 100}).json()["items"]) >= 50:
                break
            time.sleep(0.5)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with running_stack(CONVEYOR_WORKER_QUEUES="default") as stack:
        seed(stack)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for scheme in ("light", "dark"):
                for size, viewport in SIZES.items():
                    context = browser.new_context(
                        base_url=stack.console, viewport=viewport, color_scheme=scheme
                    )
                    page = context.new_page()
                    page.goto("/sign-in")
                    page.get_by_label("Email").fill(stack.users["admin"])
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.get_by_role("heading", name="Overview").wait_for()
                    for name, path in PAGES.items():
                        page.goto(path)
                        target = OUT / f"{name}-{size}-{scheme}.png"
                        page.screenshot(path=target, full_page=False)
                        print(f"wrote {target.relative_to(OUT.parents[1])}")
                    context.close()
            browser.close()


if __name__ == "__main__":
    main()
