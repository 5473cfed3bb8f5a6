"""Fixtures shared by every test folder."""

from __future__ import annotations

import atexit
from collections.abc import Iterator

import pytest

from tests.pg_server import PostgresServer
from tests.spark_server import SparkConnectServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session, started on first use and always stopped.

    Starting it must work wherever the test suite runs (CI included): a failure here errors the tests that
    need it, loudly; tests that do not ask for it (everything DuckDB) never start it.
    """
    server = PostgresServer()
    atexit.register(server.stop)  # also when the session is interrupted before fixture teardown
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def spark_server() -> Iterator[SparkConnectServer]:
    """One local Spark Connect server (one JVM) for the whole session, started on first use, always stopped."""
    server = SparkConnectServer()
    atexit.register(server.stop)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()
