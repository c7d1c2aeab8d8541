"""The console's pages against a real API: what they show and what their forms do."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from tests.integration.web.conftest import Browser
from tests.support import Process, eventually

ROW_LINK = re.compile(r'<th scope="row"><a href="/jobs/(\d+)">')


def api(api_server: Process, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def posts_in(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]+)"', html)


async def test_submit_a_job_and_see_it_succeed_with_its_details(
    browser_for: Callable[..., Any], start_worker: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("operator")
    submitted = browser.post(
        "/jobs/new", {"type": "echo", "queue": "default", "payload": '{"hello": "console"}', "priority": "3"}
    )
    assert submitted.status_code == 303
    job_id = int(submitted.headers["location"].rsplit("/", 1)[1])
    start_worker()
    with api(api_server, admin_key) as client:

        async def done() -> bool:
            return bool(client.get(f"/jobs/{job_id}").json()["state"] == "succeeded")

        await eventually(done, timeout=30, what="the echo job")
    page = browser.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    text = page.text
    assert "state-succeeded" in text and f"Job {job_id} submitted." in text
    assert text.count("&#34;hello&#34;: &#34;console&#34;") == 2  # payload, and the echo's result
    assert "Events" in text and text.count('class="state state-') >= 4  # queued → running → succeeded
    assert "Cancel job" not in text and "Retry now" not in text  # nothing to do on a succeeded job
    assert 'hx-trigger="every 2s"' not in text  # final: no more polling


async def test_job_form_errors_are_shown_next_to_their_fields(browser_for: Callable[..., Any]) -> None:
    browser: Browser = await browser_for("operator")
    bad_json = browser.post("/jobs/new", {"type": "echo", "payload": "{not json", "priority": "high"})
    assert bad_json.status_code == 422
    assert re.search(r'id="e-payload">not valid JSON', bad_json.text)
    assert 'id="e-priority">must be a whole number' in bad_json.text
    assert "{not json" in bad_json.text  # what the user typed is kept

    unknown = browser.post("/jobs/new", {"type": "no.such.type", "payload": "{}"})
    assert unknown.status_code == 422 and 'id="e-type">' in unknown.text
    bad_payload = browser.post("/jobs/new", {"type": "sleep", "payload": '{"seconds": "long"}'})
    assert bad_payload.status_code == 422 and re.search(r'id="e-payload">[^<]*seconds', bad_payload.text)


async def test_cancel_and_retry_from_the_job_page(
    browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("operator")
    with api(api_server, admin_key) as client:
        job = client.post(
            "/jobs", json={"type": "noop", "run_at": "2099-01-01T00:00:00Z"}
        ).json()  # scheduled: nothing will run it
        page = browser.get(f"/jobs/{job['id']}").text
        assert f"/jobs/{job['id']}/cancel" in posts_in(page)
        assert browser.post(f"/jobs/{job['id']}/cancel").status_code == 303
        assert client.get(f"/jobs/{job['id']}").json()["state"] == "cancelled"
        page = browser.get(f"/jobs/{job['id']}").text
        assert "cancelled." in page and posts_in(page).count(f"/jobs/{job['id']}/retry") == 1
        assert browser.post(f"/jobs/{job['id']}/retry").status_code == 303
        assert client.get(f"/jobs/{job['id']}").json()["state"] == "queued"
        # Cancelling a job that is already final is refused by the API, and the page says why.
        client.post(f"/jobs/{job['id']}/cancel")
        again = browser.post(f"/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and "The API refused (409)" in again.text


async def test_jobs_list_filters_and_pages_with_the_cursor(
    browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("viewer")
    with api(api_server, admin_key) as client:
        batch = [{"type": "noop", "queue": "pages", "run_at": "2099-01-01T00:00:00Z"}] * 60
        ids = [j["id"] for j in client.post("/jobs/batch", json={"jobs": batch}).json()["items"]]
        client.post("/jobs", json={"type": "echo", "queue": "other", "run_at": "2099-01-01T00:00:00Z"})
    first = browser.get("/jobs", params={"queue": "pages", "state": "scheduled"})
    shown = [int(i) for i in ROW_LINK.findall(first.text)]
    assert shown == sorted(ids, reverse=True)[:50]
    cursor = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', first.text)
    assert cursor, "no next-page link"
    second = browser.get("/jobs?" + cursor.group(1).replace("&amp;", "&"))
    assert [int(i) for i in ROW_LINK.findall(second.text)] == sorted(ids, reverse=True)[50:]
    assert 'rel="next"' not in second.text

    by_type = browser.get("/jobs", params={"type": "echo"})
    assert len(ROW_LINK.findall(by_type.text)) == 1
    bad = browser.get("/jobs", params={"queue": "not a queue!"})
    assert bad.status_code == 422 and 'id="e-queue">' in bad.text


async def test_dead_letter_lists_failures_and_replays_them(
    browser_for: Callable[..., Any], start_worker: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("operator")
    with api(api_server, admin_key) as client:
        job = client.post(
            "/jobs", json={"type": "fail", "payload": {"times": 1, "retryable": False, "message": "boom"}}
        ).json()
        worker = start_worker()

        async def dead() -> bool:
            return bool(client.get(f"/jobs/{job['id']}").json()["state"] == "dead")

        await eventually(dead, timeout=30, what="the job to die")
        await worker.stop()
        page = browser.get("/dead-letter")
        assert f'href="/jobs/{job["id"]}"' in page.text and "boom" in page.text
        overview = browser.get("/")
        assert f'href="/jobs/{job["id"]}"' in overview.text  # recent failures

        replay = browser.post(f"/dead-letter/{job['id']}/replay")
        assert replay.status_code == 303
        assert client.get(f"/jobs/{job['id']}").json()["state"] == "queued"
        assert f'href="/jobs/{job["id"]}"' not in browser.get("/dead-letter").text


async def test_queues_pause_and_resume(
    browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("operator")
    with api(api_server, admin_key) as client:
        client.post("/jobs", json={"type": "noop", "queue": "mail"})
        page = browser.get("/queues").text
        assert "/queues/mail/pause" in posts_in(page)
        assert browser.post("/queues/mail/pause").status_code == 303
        queues = {q["name"]: q for q in client.get("/queues").json()}
        assert queues["mail"]["paused"] is True
        page = browser.get("/queues").text
        assert "Queue mail paused" in page and "/queues/mail/resume" in posts_in(page)
        assert browser.post("/queues/mail/resume").status_code == 303
        assert {q["name"]: q for q in client.get("/queues").json()}["mail"]["paused"] is False


async def test_queue_limits_are_set_checked_next_to_their_fields_and_cleared(
    browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("operator")
    with api(api_server, admin_key) as client:
        client.post("/jobs", json={"type": "noop", "queue": "mail"})

        def limits() -> tuple[object, object]:
            queue = {q["name"]: q for q in client.get("/queues").json()}["mail"]
            return queue["concurrency_limit"], queue["rate_limit"]

        assert 'href="/queues/mail/limits"' in browser.get("/queues").text
        refused = browser.post("/queues/mail/limits", {"concurrency_limit": "two", "rate_limit": "fast"})
        assert refused.status_code == 422
        assert (
            "must be a whole number" in refused.text and "must be a number of jobs per second" in refused.text
        )
        assert limits() == (None, None), "nothing was written"
        out_of_range = browser.post("/queues/mail/limits", {"concurrency_limit": "0", "rate_limit": ""})
        assert out_of_range.status_code == 422 and "greater than or equal to 1" in out_of_range.text

        assert (
            browser.post("/queues/mail/limits", {"concurrency_limit": "3", "rate_limit": "0.5"}).status_code
            == 303
        )
        assert limits() == (3, 0.5)
        assert "Queue mail: 3 at once, 0.5/s." in browser.get("/queues").text
        form = browser.get("/queues/mail/limits").text
        assert 'value="3"' in form and 'value="0.5"' in form

        assert (
            browser.post("/queues/mail/limits", {"concurrency_limit": "", "rate_limit": ""}).status_code
            == 303
        )
        assert limits() == (None, None)


async def test_schedule_form_previews_rejects_bad_cron_and_creates(
    browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("operator")
    preview = browser.post("/schedules/preview", {"cron": "0 9 * * 1-5", "timezone": "Europe/Paris"})
    assert preview.status_code == 200 and preview.text.count("<li><time") == 5
    assert "<html" not in preview.text  # a fragment for HTMX to swap in
    wrong = browser.post("/schedules/preview", {"cron": "61 * * * *", "timezone": "UTC"})
    assert "This cadence does not work" in wrong.text
    # Valid syntax that can never fire: the helper says so (the API once answered 500 here).
    never = browser.post("/schedules/preview", {"cron": "0 0 30 2 *", "timezone": "UTC"})
    assert never.status_code == 200 and "never fires" in never.text
    huge = browser.post("/schedules/preview", {"cron": "@every 99999999999999d", "timezone": "UTC"})
    assert huge.status_code == 200 and "interval too large" in huge.text

    bad = browser.post(
        "/schedules/new",
        {"name": "nightly", "cron": "* * *", "timezone": "UTC", "type": "echo", "payload": "{}"},
    )
    assert bad.status_code == 422 and 'id="e-cron">' in bad.text
    never_form = browser.post(
        "/schedules/new",
        {"name": "feb30", "cron": "0 0 30 2 *", "timezone": "UTC", "type": "echo", "payload": "{}"},
    )
    assert never_form.status_code == 422 and re.search(r'id="e-cron">[^<]*never fires', never_form.text)
    bad_zone = browser.post(
        "/schedules/new", {"name": "n", "cron": "@every 30s", "timezone": "Mars/Base", "type": "echo"}
    )
    assert bad_zone.status_code == 422 and 'id="e-timezone">' in bad_zone.text

    created = browser.post(
        "/schedules/new",
        {"name": "nightly", "cron": "0 3 * * *", "timezone": "UTC", "type": "echo", "payload": '{"a": 1}'},
    )
    assert created.status_code == 303
    listing = browser.get("/schedules").text
    assert "nightly" in listing and "0 3 * * *" in listing
    with api(api_server, admin_key) as client:
        [schedule] = client.get("/schedules").json()["items"]
        assert schedule["job"]["payload"] == {"a": 1}
        assert browser.post(f"/schedules/{schedule['id']}/pause").status_code == 303
        assert client.get(f"/schedules/{schedule['id']}").json()["enabled"] is False
        assert browser.post(f"/schedules/{schedule['id']}/resume").status_code == 303
        assert client.get(f"/schedules/{schedule['id']}").json()["enabled"] is True
        triggered = browser.post(f"/schedules/{schedule['id']}/trigger")
        assert triggered.status_code == 303
        job_id = int(triggered.headers["location"].rsplit("/", 1)[1])
        fired = client.get(f"/jobs/{job_id}").json()
        assert (fired["type"], fired["payload"]) == ("echo", {"a": 1})


async def test_api_keys_secret_is_shown_once_and_revoking_stops_it(
    browser_for: Callable[..., Any], api_server: Process
) -> None:
    browser: Browser = await browser_for("viewer")
    missing = browser.post("/keys", {"name": ""})
    assert missing.status_code == 422 and 'id="e-name">' in missing.text
    issued = browser.post("/keys", {"name": "laptop", "expires": ""})
    assert issued.status_code == 201
    secret = re.search(r'id="new-secret"[^>]*>(cvk_[^<]+)<', issued.text)
    assert secret, issued.text
    assert issued.headers["cache-control"] == "no-store"
    listing = browser.get("/keys").text
    assert "laptop" in listing and secret.group(1) not in listing
    with api(api_server, secret.group(1)) as as_key:
        assert as_key.get("/me").json()["email"] == browser.email
        [key_id] = re.findall(r'action="/keys/(\d+)/revoke"', listing)
        assert browser.post(f"/keys/{key_id}/revoke").status_code == 303
        assert as_key.get("/me").status_code == 401


async def test_a_viewer_is_offered_no_changes_and_a_forced_one_is_refused_clearly(
    browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("viewer")
    with api(api_server, admin_key) as client:
        job = client.post("/jobs", json={"type": "noop", "run_at": "2099-01-01T00:00:00Z"}).json()
        client.post(
            "/schedules", json={"name": "s", "cron": "@every 1h", "job": {"type": "noop"}}
        ).raise_for_status()
    for path in ("/", "/jobs", f"/jobs/{job['id']}", "/dead-letter", "/queues", "/schedules", "/webhooks"):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert posts_in(page.text) == ["/sign-out"], path
        assert "Submit a job" not in page.text and "New schedule" not in page.text
    forced = browser.post(f"/jobs/{job['id']}/cancel")
    assert forced.status_code == 403
    assert "The API refused (403)" in forced.text and "lacks permission" in forced.text
    with api(api_server, admin_key) as client:
        assert client.get(f"/jobs/{job['id']}").json()["state"] == "scheduled"


async def test_overview_shows_queues_and_throughput(
    browser_for: Callable[..., Any], start_worker: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    browser: Browser = await browser_for("viewer")
    with api(api_server, admin_key) as client:
        client.post("/jobs/batch", json={"jobs": [{"type": "noop", "queue": "default"}] * 3})
        client.post("/jobs", json={"type": "noop", "queue": "later", "run_at": "2099-01-01T00:00:00Z"})
        start_worker()

        async def all_done() -> bool:
            page = client.get("/jobs", params={"state": "succeeded"}).json()
            return len(page["items"]) == 3

        await eventually(all_done, timeout=30, what="three jobs")
    live = browser.get("/overview/live", headers={"HX-Request": "true"})
    assert live.status_code == 200 and "<html" not in live.text
    assert 'data-testid="succeeded">3<' in live.text
    assert '<a href="/jobs?queue=later">later</a>' in live.text
    assert re.search(r'data-testid="slots">\d+<small> of 20</small>', live.text), "one worker, 20 slots"
    assert live.text.count('data-testid="chart"') == 2
    assert 'aria-label="Jobs succeeded per second: peak' in live.text
    full = browser.get("/")
    assert 'hx-get="/overview/live?window=1h"' in full.text and 'hx-trigger="every 5s"' in full.text
    day = browser.get("/", params={"window": "24h"}).text
    assert 'hx-get="/overview/live?window=24h"' in day and "Succeeded, last 24h" in day
    assert 'data-testid="succeeded">3<' in day
    assert 'hx-get="/overview/live?window=1h"' in browser.get("/", params={"window": "forever"}).text


async def test_a_viewer_sees_http_job_credentials_redacted_an_operator_sees_them(
    browser_for: Callable[..., Any], api_server: Process, admin_key: str
) -> None:
    secret_headers = {"X-Api-Key": "key-s3cret", "Authorization": "Bearer bearer-s3cret"}
    payload = {"url": "https://8.8.8.8/charge?access_token=query-s3cret", "headers": secret_headers}
    with api(api_server, admin_key) as client:
        job = client.post(
            "/jobs", json={"type": "http", "payload": payload, "run_at": "2099-01-01T00:00:00Z"}
        )
        job_id = job.json()["id"]
    viewer: Browser = await browser_for("viewer")
    page = viewer.get(f"/jobs/{job_id}").text
    assert "X-Api-Key" in page and "[redacted]" in page
    assert not [s for s in ("key-s3cret", "bearer-s3cret", "query-s3cret") if s in page]
    operator: Browser = await browser_for("operator")
    assert "key-s3cret" in operator.get(f"/jobs/{job_id}").text
