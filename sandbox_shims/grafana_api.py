"""A tiny in-memory Grafana HTTP API: exactly the endpoints the phase-5 import calls, nothing else.

Why: no Grafana server installs from the registries this machine reaches, and Amazon Managed Grafana has no
emulator. The tests start this shim on a loopback port and point grafana-client at it. It checks the bearer
token, stores what it is sent, assigns ``id``/``version`` as Grafana does, and answers 404 for unknown uids.
It does NOT validate dashboard models, evaluate alert rules, or check datasource connectivity.

Endpoints (all under ``/api``): GET /health; GET /folders/{uid}, POST /folders, PUT /folders/{uid};
GET /datasources/uid/{uid}, POST /datasources, PUT /datasources/uid/{uid}; POST /dashboards/db,
GET /dashboards/uid/{uid}; GET /v1/provisioning/alert-rules/{uid}, POST /v1/provisioning/alert-rules,
PUT /v1/provisioning/alert-rules/{uid}.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class GrafanaStore:
    """What the shim holds, by kind and uid; ``writes`` counts every create/update (idempotence checks)."""

    def __init__(self) -> None:
        self.folders: dict[str, dict[str, Any]] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, dict[str, Any]] = {}
        self.writes = 0
        self._next_id = 1
        self.lock = threading.Lock()

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _handler(store: GrafanaStore, token: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def _route(self, method: str) -> None:
            if self.path != "/api/health" and self.headers.get("Authorization") != f"Bearer {token}":
                return self._send(401, {"message": "Unauthorized"})
            parts = [p for p in self.path.split("?")[0].split("/") if p][1:]  # drop "api"
            with store.lock:
                status, body = self._dispatch(method, parts)
            self._send(status, body)

        def _dispatch(self, method: str, parts: list[str]) -> tuple[int, Any]:
            if parts == ["health"]:
                return 200, {"database": "ok", "version": "shim"}
            if parts[:1] == ["folders"]:
                return self._folders(method, parts[1:])
            if parts[:1] == ["datasources"]:
                return self._datasources(method, parts[1:])
            if parts[:1] == ["dashboards"]:
                return self._dashboards(method, parts[1:])
            if parts[:3] == ["v1", "provisioning", "alert-rules"]:
                return self._rules(method, parts[3:])
            return 404, {"message": f"shim: no endpoint {method} {self.path}"}

        def _folders(self, method: str, rest: list[str]) -> tuple[int, Any]:
            if method == "POST" and not rest:
                body = self._body()
                uid = body.get("uid")
                if uid in store.folders:
                    return 409, {"message": "folder exists"}
                store.writes += 1
                store.folders[uid] = {"id": store.next_id(), "uid": uid, "title": body["title"], "version": 1}
                return 200, store.folders[uid]
            folder = store.folders.get(rest[0]) if len(rest) == 1 else None
            if folder is None:
                return 404, {"message": "folder not found"}
            if method == "PUT":
                store.writes += 1
                folder.update(title=self._body().get("title", folder["title"]), version=folder["version"] + 1)
            return 200, folder

        def _datasources(self, method: str, rest: list[str]) -> tuple[int, Any]:
            if method == "POST" and not rest:
                body = self._body()
                store.writes += 1
                store.datasources[body["uid"]] = {**body, "id": store.next_id()}
                return 200, {"datasource": store.datasources[body["uid"]], "message": "Datasource added"}
            if rest[:1] != ["uid"] or len(rest) != 2 or rest[1] not in store.datasources:
                return 404, {"message": "Data source not found"}
            if method == "PUT":
                store.writes += 1
                store.datasources[rest[1]] = {**self._body(), "id": store.datasources[rest[1]]["id"]}
            return 200, store.datasources[rest[1]]

        def _dashboards(self, method: str, rest: list[str]) -> tuple[int, Any]:
            if method == "POST" and rest == ["db"]:
                body = self._body()
                dashboard = dict(body["dashboard"])
                folder_uid = body.get("folderUid")
                if folder_uid and folder_uid not in store.folders:
                    return 400, {"message": "folder not found"}
                old = store.dashboards.get(dashboard["uid"])
                dashboard["id"] = old["dashboard"]["id"] if old else store.next_id()
                dashboard["version"] = old["dashboard"]["version"] + 1 if old else 1
                store.writes += 1
                store.dashboards[dashboard["uid"]] = {"dashboard": dashboard, "meta": {"folderUid": folder_uid}}
                return 200, {"status": "success", "uid": dashboard["uid"], "version": dashboard["version"]}
            if method == "GET" and rest[:1] == ["uid"] and len(rest) == 2 and rest[1] in store.dashboards:
                return 200, store.dashboards[rest[1]]
            return 404, {"message": "Dashboard not found"}

        def _rules(self, method: str, rest: list[str]) -> tuple[int, Any]:
            if method == "POST" and not rest:
                body = self._body()
                if body.get("folderUID") not in store.folders:
                    return 400, {"message": "folder not found"}
                store.writes += 1
                store.rules[body["uid"]] = {**body, "id": store.next_id()}
                return 201, store.rules[body["uid"]]
            if len(rest) != 1 or rest[0] not in store.rules:
                return 404, {"message": "rule not found"}
            if method == "PUT":
                store.writes += 1
                store.rules[rest[0]] = {**self._body(), "id": store.rules[rest[0]]["id"]}
            return 200, store.rules[rest[0]]

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._route("PUT")

    return Handler


class GrafanaShim:
    """The shim on ``127.0.0.1:<free port>`` in a daemon thread; ``url`` and ``store`` for the caller."""

    def __init__(self, token: str) -> None:
        self.store = GrafanaStore()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.store, token))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> GrafanaShim:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
