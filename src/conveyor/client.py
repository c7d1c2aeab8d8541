"""A small synchronous client for the Conveyor API, used by the CLI and by tests.

Errors come back as ``ApiError`` carrying the RFC 9457 problem the API returned.
"""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        detail = problem.get("detail") or problem.get("title") or "error"
        super().__init__(f"{status}: {detail}")


class Client:
    def __init__(self, base_url: str, api_key: str | None, *, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/api/v1{path}", **kwargs)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text[:500]}
            raise ApiError(response.status_code, problem)
        return response.json() if response.content else None

    # jobs
    def submit(self, job: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        result: dict[str, Any] = self._call("POST", "/jobs", json=job, headers=headers)
        return result

    def submit_batch(self, jobs: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/jobs/batch", json={"jobs": jobs})
        return result

    def list_jobs(self, **filters: Any) -> dict[str, Any]:
        params = {k: v for k, v in filters.items() if v is not None}
        result: dict[str, Any] = self._call("GET", "/jobs", params=params)
        return result

    def get_job(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/jobs/{job_id}")
        return result

    def job_events(self, job_id: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/jobs/{job_id}/events")
        return result

    def cancel(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/jobs/{job_id}/cancel")
        return result

    def retry(self, job_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/jobs/{job_id}/retry")
        return result

    def replay_dead(self, **filters: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/dead-letter/replay", json=filters)
        return result

    def update_queue(self, name: str, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PATCH", f"/queues/{name}", json=changes)
        return result

    # schedules
    def create_schedule(self, schedule: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/schedules", json=schedule)
        return result

    def list_schedules(self, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/schedules", params=params)
        return result

    def delete_schedule(self, schedule_id: int) -> None:
        self._call("DELETE", f"/schedules/{schedule_id}")
