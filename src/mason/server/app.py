"""The HTTP API (starlette, served by uvicorn): metric metadata and metric queries as JSON.

    GET  /api/v1/health            no token needed
    GET  /api/v1/metrics           the metrics (those the token may query)
    GET  /api/v1/dimensions
    POST /api/v1/query             {"metrics": [...], "group_by": [...], "where": [...], "order_by": [...],
                                    "limit": n, "start_time": "...", "end_time": "..."}
    GET  /openapi.json
    POST /graphql                  see mason.server.graphql
    POST /api/graphql              dbt's Semantic Layer GraphQL API (for dbt-sl-sdk), see mason.server.dbtsl

Every other request needs `Authorization: Bearer <token>` (401 without a valid one; 403 for a metric outside
the token's scope). Filters are checked by `mason.semantic.filters` before anything is compiled; results are
capped at `max_rows` and cached per query until a build rebuilds a model the query reads.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mason.artifacts import rebuilt
from mason.errors import MasonError
from mason.semantic.filters import check_filter
from mason.semantic.sql import Query
from mason.server import tokens as token_store

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Mason semantic layer", "version": "1"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/metrics": {"get": {"summary": "The metrics", "responses": {"200": {"description": "metrics"}}}},
        "/api/v1/dimensions": {"get": {"summary": "The dimensions",
                                       "responses": {"200": {"description": "dimensions"}}}},
        "/api/v1/query": {"post": {
            "summary": "Query metrics",
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                "metrics": {"type": "array", "items": {"type": "string"}},
                "group_by": {"type": "array", "items": {"type": "string"}},
                "where": {"type": "array", "items": {"type": "string"}},
                "order_by": {"type": "array", "items": {"type": "string"}},
                "limit": {"type": "integer"}, "start_time": {"type": "string"}, "end_time": {"type": "string"}},
                "required": ["metrics"]}}}},
            "responses": {"200": {"description": "columns and rows"}, "400": {"description": "a bad query"},
                          "401": {"description": "no valid token"}, "403": {"description": "outside the scope"}},
        }},
    },
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


class QueryTimeout(MasonError):
    """A metric query ran longer than the server's statement timeout and was cancelled."""


@dataclass(slots=True)
class _Entry:
    result: dict[str, Any]  # columns, rows, sql
    body: bytes  # the JSON API's answer to a cached hit, encoded once
    models: frozenset[str]  # unique ids of the nodes whose relations the SQL reads


class Service:
    """The project, its warehouse connection and the result cache behind the routes.

    Results are cached per query. A build that rebuilds a model under a cached query invalidates it: each run
    appends the nodes it rebuilt to target/rebuilt.jsonl (`mason.artifacts.rebuilt`), and the entries whose
    SQL reads one of their relations are dropped before the next read of the cache.
    """

    def __init__(self, session: Any, max_rows: int = 10_000, statement_timeout: float = 30.0,
                 concurrency: int = 4) -> None:
        from mason import api

        self.session = session
        self.max_rows = max_rows
        self.statement_timeout = statement_timeout
        self.parsed = api.parse_and_write(session)
        # queries read only, on a connection of their own: between two queries a build may write (DuckDB lets
        # one process write a file only while nobody else has it open); a warehouse with a server-side
        # statement timeout gets it as well (the timer below cancels the statement everywhere else)
        target = self.parsed.loaded.target
        credentials = {**target.credentials, "read_only": True}
        if statement_timeout > 0:
            credentials["statement_timeout_ms"] = int(statement_timeout * 1000)
        self.target = replace(target, credentials=credentials)
        self.slots = threading.BoundedSemaphore(max(1, concurrency))
        self._closer = ThreadPoolExecutor(1, thread_name_prefix="mason-close")
        self.cache: dict[str, _Entry] = {}
        self.follower = rebuilt.Follower(self.parsed.loaded.target_dir)
        self._events = 0  # builds seen so far; the latest of them, with the nodes each rebuilt (None: any)
        self._recent: deque[tuple[int, frozenset[str] | None]] = deque(maxlen=256)
        self._cache_lock = threading.Lock()
        self.relations = {uid: str(rel) for uid, rel in api.relation_names(self.parsed).items()}
        self.tokens_path = token_store.store_path(Path(session.project_dir))
        self._tokens: tuple[int, list[token_store.Token]] = (-1, [])
        self._by_digest: dict[str, token_store.Token] = {}
        from mason.api.semantic import graph

        # the project is parsed once, at start: its semantic graph (a broken one stops the server here)
        self.graph = graph(self.parsed)
        self.dimensions = frozenset(d.name for model in self.graph.models.values() for d in model.dimensions)
        self.metric_groups = {m.name: m.group for m in self.graph.metrics.values()}

    def tokens(self) -> list[token_store.Token]:
        """The token store, read again only when the file changed (a revoked token stops at once); a token
        scoped to groups holds the names of their metrics."""
        stamp = self.tokens_path.stat().st_mtime_ns if self.tokens_path.exists() else 0
        if stamp != self._tokens[0]:
            tokens = [t.resolve(self.metric_groups) for t in token_store.load(self.tokens_path)]
            self._tokens = (stamp, tokens)
            self._by_digest = {t.digest: t for t in tokens}
        return self._tokens[1]

    def token(self, secret: str) -> token_store.Token | None:
        """The token whose secret this is (looked up by its SHA-256, as stored), or None."""
        self.tokens()
        return self._by_digest.get(token_store.digest(secret))

    # -- the cache
    def _invalidate(self) -> None:
        """Drop the entries a build since the last look made stale (called before every cache read)."""
        changed = self.follower.changes()
        if changed == set():
            return
        with self._cache_lock:
            self._events += 1
            self._recent.append((self._events, None if changed is None else frozenset(changed)))
            if changed is None:
                self.cache.clear()
            else:
                for key in [k for k, e in self.cache.items() if e.models & changed]:
                    del self.cache[key]

    def _stale_since(self, event: int, models: frozenset[str]) -> bool:
        """Whether a build after `event` may have rebuilt one of `models` (the result read them before)."""
        if self._recent and self._recent[0][0] > event + 1:
            return True  # older events are forgotten
        return any(n > event and (changed is None or changed & models) for n, changed in self._recent)

    def cache_key(self, query: Query, bare_dimensions: bool = False) -> str:
        """The cache's key of a query (its row cap applied)."""
        limit = min(query.limit, self.max_rows) if query.limit is not None else self.max_rows
        return json.dumps([query.metrics, query.group_by, query.where, query.order_by, limit, query.start_time,
                           query.end_time, bare_dimensions])

    def cached(self, key: str) -> _Entry | None:
        self._invalidate()
        return self.cache.get(key)

    def query(self, query: Query, bare_dimensions: bool = False) -> dict[str, Any]:
        """The answer: columns, rows, sql, and whether it came from the cache."""
        return self.answer(query, bare_dimensions)[0]

    def answer(self, query: Query, bare_dimensions: bool = False) -> tuple[dict[str, Any], bytes]:
        """The answer and its JSON encoding (as the JSON API sends it)."""
        from mason.adapters.target import SQL_DIALECTS
        from mason.semantic.sql import compile_query

        key = self.cache_key(query, bare_dimensions)
        found = self.cached(key)
        if found is not None:
            return {**found.result, "cached": True}, found.body
        event = self._events
        for text in query.where:
            check_filter(text, self.dimensions if bare_dimensions else frozenset())
        limit = min(query.limit, self.max_rows) if query.limit is not None else self.max_rows
        sql = compile_query(self.graph, replace(query, limit=limit), SQL_DIALECTS.get(self.parsed.loaded.target.type))
        table = self._run(sql)
        result = {"columns": list(table.column_names),
                  "rows": [[_jsonable(v) for v in row] for row in table.rows], "sql": sql}
        models = frozenset(uid for uid, relation in self.relations.items() if relation in sql)
        body = msgspec.json.encode({**result, "cached": False})
        entry = _Entry(result, body[: -len(b"false}")] + b"true}", models)
        self._invalidate()
        with self._cache_lock:
            if not self._stale_since(event, models):  # no build changed its relations while it ran
                self.cache[key] = entry
        return {**result, "cached": False}, body

    def _run(self, sql: str) -> Any:
        """The query's rows on a read-only connection of its own, cancelled after the statement timeout."""
        from mason.adapters.factory import open_adapter

        with self.slots:
            adapter = open_adapter(self.target, self.session, self.parsed.loaded.project.quoting)
            timer, fired = None, threading.Event()

            def stop() -> None:
                fired.set()
                adapter.cancel()

            if self.statement_timeout > 0:
                timer = threading.Timer(self.statement_timeout, stop)
                timer.daemon = True
                timer.start()
            try:
                _, table = adapter.execute(sql, fetch=True)
            except MasonError as exc:
                if fired.is_set():
                    raise QueryTimeout(f"the query ran longer than the server's statement timeout "
                                       f"({self.statement_timeout:g} s) and was cancelled",
                                       hint="narrow it (a filter, start/end time, a coarser grain), or start "
                                       "mason serve with a longer --statement-timeout") from exc
                raise
            finally:
                if timer is not None:
                    timer.cancel()
                self._closer.submit(adapter.close)  # after the answer is on its way, not before
        assert table is not None
        return table


def create_app(service: Service) -> Any:
    def authorized(request: Request) -> token_store.Token | JSONResponse:
        header = request.headers.get("authorization", "")
        secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
        token = service.token(secret) if secret else None
        if token is None:
            return JSONResponse({"error": "a valid bearer token is needed"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        request.state.token = token.name
        return token

    def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    def metrics(request: Request) -> JSONResponse:
        token = authorized(request)
        if isinstance(token, JSONResponse):
            return token
        items = [{"name": m.name, "type": m.type, "label": m.label, "description": m.description}
                 for m in sorted(service.graph.metrics.values(), key=lambda m: m.name) if token.allows(m.name)]
        return JSONResponse({"metrics": items})

    def dimensions(request: Request) -> JSONResponse:
        token = authorized(request)
        if isinstance(token, JSONResponse):
            return token
        return JSONResponse({"dimensions": [{"name": n, "type": t} for n, t in service.graph.dimension_names()]})

    async def request_body(request: Request, error: Any) -> tuple[token_store.Token, Any] | JSONResponse:
        """The caller's token and JSON body, or the response refusing them."""
        token = authorized(request)
        if isinstance(token, JSONResponse):
            return token
        try:
            return token, await request.json()
        except ValueError:
            return JSONResponse(error("the body must be JSON"), status_code=400)

    async def query(request: Request) -> Response:
        found = await request_body(request, lambda message: {"error": message})
        if isinstance(found, JSONResponse):
            return found
        token, body = found
        if not isinstance(body, dict) or not isinstance(body.get("metrics"), list):
            return JSONResponse({"error": "give metrics: a list of metric names"}, status_code=400)

        def strings(key: str) -> tuple[str, ...]:
            value = body.get(key) or []
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise MasonError(f"{key} must be a list of strings")
            return tuple(value)

        try:
            limit = body.get("limit")
            if limit is not None and (not isinstance(limit, int) or limit < 0):
                raise MasonError("limit must be a whole number")
            q = Query(strings("metrics"), strings("group_by"), strings("where"), strings("order_by"), limit,
                      body.get("start_time"), body.get("end_time"))
            outside = [m for m in q.metrics if not token.allows(m)]
            if outside:
                return JSONResponse({"error": f"this token may not query {', '.join(outside)}"}, status_code=403)
            hit = service.cached(service.cache_key(q))  # answered here, without a worker thread
            if hit is not None:
                return Response(hit.body, media_type="application/json")
            import anyio.to_thread

            _, encoded = await anyio.to_thread.run_sync(service.answer, q)
        except QueryTimeout as exc:
            return JSONResponse({"error": exc.render()}, status_code=504)
        except MasonError as exc:
            return JSONResponse({"error": exc.render()}, status_code=400)
        return Response(encoded, media_type="application/json")

    def openapi(request: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    async def graphql(request: Request) -> JSONResponse:
        found = await request_body(request, lambda message: {"errors": [{"message": message}]})
        if isinstance(found, JSONResponse):
            return found
        token, body = found
        import anyio.to_thread

        from mason.server.graphql import execute

        result = await anyio.to_thread.run_sync(execute, body, {"service": service, "token": token})
        return JSONResponse(result, status_code=200 if "errors" not in result or result.get("data") else 400)

    from mason.server.dbtsl import DbtSemanticLayer

    dbt_sl = DbtSemanticLayer(service)

    async def dbt_graphql(request: Request) -> Any:
        return await dbt_sl.handle(request, authorized(request))

    app = Starlette(routes=[
        Route("/api/v1/query", query, methods=["POST"]),  # the busiest first
        Route("/api/v1/health", health), Route("/api/v1/metrics", metrics), Route("/api/v1/dimensions", dimensions),
        Route("/openapi.json", openapi),
        Route("/graphql", graphql, methods=["POST"]), Route("/api/graphql", dbt_graphql, methods=["POST"]),
    ])

    return _AccessLog(app)


class _AccessLog:
    """One JSON line on stderr per request (plain ASGI: no per-request task as starlette's middleware makes)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            line = json.dumps({"ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                               "method": scope["method"], "path": scope["path"], "status": status,
                               "ms": round((time.perf_counter() - start) * 1000, 1),
                               "token": (scope.get("state") or {}).get("token")})
            os.write(2, (line + "\n").encode())


def serve(session: Any, host: str, port: int, max_rows: int, statement_timeout: float = 30.0,
          concurrency: int = 4) -> int:
    import uvicorn

    service = Service(session, max_rows, statement_timeout, concurrency)
    import gc

    gc.collect()
    gc.freeze()  # the parsed project lives as long as the server: collections need not walk it (fewer pauses)
    print(f"Mason semantic layer on http://{host}:{port}/api/v1 (tokens: {service.tokens_path})",
          file=sys.stderr, flush=True)
    uvicorn.run(create_app(service), host=host, port=port, log_level="warning", access_log=False)
    return 0
