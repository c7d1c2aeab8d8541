"""The database pool's state on /metrics (conveyor_db_pool_*), read from a real pool on a real
PostgreSQL at scrape time: what the Database dashboard and its runbooks rely on."""

from __future__ import annotations

import asyncio

import psycopg_pool
import pytest
from prometheus_client import REGISTRY

from conveyor.store.database import open_pool
from tests.support import free_port


def sample(name: str, pool: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"pool": pool, **labels})


async def test_connections_in_use_and_idle_and_the_maximum(database_url: str) -> None:
    pool = await open_pool(database_url, size=3, name="test-pool-usage")
    try:
        await pool.wait()
        assert sample("conveyor_db_pool_max_connections", "test-pool-usage") == 3
        async with pool.connection():
            assert sample("conveyor_db_pool_connections", "test-pool-usage", state="in_use") == 1
        assert sample("conveyor_db_pool_connections", "test-pool-usage", state="in_use") == 0
        assert sample("conveyor_db_pool_connections", "test-pool-usage", state="idle") >= 1  # type: ignore[operator]
    finally:
        await pool.close()
    assert sample("conveyor_db_pool_max_connections", "test-pool-usage") is None, "a closed pool leaves"


async def test_an_exhausted_pool_shows_its_waiters_and_counts_the_timeouts(database_url: str) -> None:
    pool = await open_pool(database_url, size=1, name="test-pool-exhausted", timeout=0.5)
    try:
        await pool.wait()
        async with pool.connection():
            waiter = asyncio.create_task(pool.getconn())
            while sample("conveyor_db_pool_waiting_requests", "test-pool-exhausted") != 1:
                await asyncio.sleep(0.01)  # until the waiter is queued (bounded by its timeout)
                assert not waiter.done(), "the waiter gave up before it was seen waiting"
            with pytest.raises(psycopg_pool.PoolTimeout):
                await waiter
        assert sample("conveyor_db_pool_waiting_requests", "test-pool-exhausted") == 0
        assert sample("conveyor_db_pool_request_errors_total", "test-pool-exhausted") == 1
    finally:
        await pool.close()


async def test_an_unreachable_database_counts_connection_errors() -> None:
    nowhere = f"postgresql://conveyor@127.0.0.1:{free_port()}/conveyor?connect_timeout=1"
    pool = await open_pool(nowhere, size=1, name="test-pool-unreachable", timeout=0.5)
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while not sample("conveyor_db_pool_connection_errors_total", "test-pool-unreachable"):
            assert asyncio.get_running_loop().time() < deadline, "no connection error counted"
            await asyncio.sleep(0.05)
        assert sample("conveyor_db_pool_connections", "test-pool-unreachable", state="idle") == 0
    finally:
        await pool.close()
