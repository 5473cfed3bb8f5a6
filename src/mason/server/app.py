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
capped at `max_rows` and cached per (query, state of target/), so rebuilding a model clears them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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


class Service:
    """The project, its warehouse connection and the result cache behind the routes."""

    def __init__(self, session: Any, max_rows: int = 10_000) -> None:
        from mason import api

        self.session = session
        self.max_rows = max_rows
        self.parsed = api.parse_and_write(session)
        # queries read only, on a connection of their own: between two queries a build may write (DuckDB lets
        # one process write a file only while nobody else has it open)
        target = self.parsed.loaded.target
        self.target = replace(target, credentials={**target.credentials, "read_only": True})
        self.lock = threading.Lock()
        self.cache: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = {}
        self.tokens_path = token_store.store_path(Path(session.project_dir))
        self._tokens: tuple[int, list[token_store.Token]] = (-1, [])
        from mason.api.semantic import graph

        # the project is parsed once, at start: its semantic graph (a broken one stops the server here)
        self.graph = graph(self.parsed)
        self.dimensions = frozenset(d.name for model in self.graph.models.values() for d in model.dimensions)

    def tokens(self) -> list[token_store.Token]:
        """The token store, read again only when the file changed (a revoked token stops at once)."""
        stamp = self.tokens_path.stat().st_mtime_ns if self.tokens_path.exists() else 0
        if stamp != self._tokens[0]:
            self._tokens = (stamp, token_store.load(self.tokens_path))
        return self._tokens[1]

    def state(self) -> tuple[int, ...]:
        """What invalidates cached results: the artifacts a build or a parse rewrites."""
        target = self.parsed.loaded.target_dir
        return tuple(p.stat().st_mtime_ns if p.exists() else 0
                     for p in (target / "run_results.json", target / "manifest.json"))

    def query(self, query: Query, bare_dimensions: bool = False) -> dict[str, Any]:
        from mason.adapters.target import SQL_DIALECTS
        from mason.semantic.sql import compile_query

        for text in query.where:
            check_filter(text, self.dimensions if bare_dimensions else frozenset())
        limit = min(query.limit, self.max_rows) if query.limit is not None else self.max_rows
        query = replace(query, limit=limit)
        key = (json.dumps([query.metrics, query.group_by, query.where, query.order_by, query.limit,
                           query.start_time, query.end_time]), self.state())
        found = self.cache.get(key)
        if found is not None:
            return {**found, "cached": True}
        sql = compile_query(self.graph, query, SQL_DIALECTS.get(self.parsed.loaded.target.type))
        from mason.adapters.factory import open_adapter

        with self.lock:
            adapter = open_adapter(self.target, self.session, self.parsed.loaded.project.quoting)
            try:
                _, table = adapter.execute(sql, fetch=True)
            finally:
                adapter.close()
        assert table is not None
        result = {"columns": list(table.column_names),
                  "rows": [[_jsonable(v) for v in row] for row in table.rows], "sql": sql}
        self.cache[key] = result
        return {**result, "cached": False}

def create_app(service: Service) -> Starlette:
    def authorized(request: Request) -> token_store.Token | JSONResponse:
        header = request.headers.get("authorization", "")
        secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
        token = token_store.verify(service.tokens(), secret) if secret else None
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

    async def query(request: Request) -> JSONResponse:
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
            import anyio.to_thread

            result = await anyio.to_thread.run_sync(service.query, q)
        except MasonError as exc:
            return JSONResponse({"error": exc.render()}, status_code=400)
        return JSONResponse(result)

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
        Route("/api/v1/health", health), Route("/api/v1/metrics", metrics), Route("/api/v1/dimensions", dimensions),
        Route("/api/v1/query", query, methods=["POST"]), Route("/openapi.json", openapi),
        Route("/graphql", graphql, methods=["POST"]), Route("/api/graphql", dbt_graphql, methods=["POST"]),
    ])

    async def access_log(request: Request, call_next: Any) -> Any:
        start = time.perf_counter()
        response = await call_next(request)
        print(json.dumps({"ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                          "method": request.method, "path": request.url.path, "status": response.status_code,
                          "ms": round((time.perf_counter() - start) * 1000, 1),
                          "token": getattr(request.state, "token", None)}), file=sys.stderr, flush=True)
        return response

    app.add_middleware(BaseHTTPMiddleware, dispatch=access_log)
    return app


def serve(session: Any, host: str, port: int, max_rows: int) -> int:
    import uvicorn

    service = Service(session, max_rows)
    print(f"Mason semantic layer on http://{host}:{port}/api/v1 (tokens: {service.tokens_path})",
          file=sys.stderr, flush=True)
    uvicorn.run(create_app(service), host=host, port=port, log_level="warning", access_log=False)
    return 0
