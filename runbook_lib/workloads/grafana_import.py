"""Import the rewritten bundle into (Managed) Grafana through its HTTP API with grafana-client, idempotently,
and read every object back.

Why compare before writing: Grafana bumps a dashboard's version on every save, so "overwrite everything"
is not idempotent; each object is read first and written only when it differs (``unchanged`` otherwise).
Read back equal means: the dashboard/rule Grafana returns equals what was sent, less the fields Grafana
assigns itself (``id``, ``version``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runbook_lib.errors import OrchestrationError
from runbook_lib.workloads.grafana_rewrite import GrafanaBundle

#: Fields the server sets on its own; ignored when comparing what was sent with what is read back.
SERVER_FIELDS = frozenset({"id", "version", "updated", "provenance"})


@dataclass(frozen=True)
class ImportRow:
    kind: str  # folder | datasource | dashboard | alert rule
    uid: str
    action: str  # created | updated | unchanged
    read_back_equal: bool
    paused: bool | None = None


def grafana_api(url: str, token: str, timeout: float = 10.0) -> Any:
    """A grafana-client API object for ``url`` with a bearer token (service account / AMG API key)."""
    try:
        from grafana_client import GrafanaApi
    except ImportError:  # pragma: no cover - an optional extra
        raise OrchestrationError("grafana-client", "not installed",
                                 hint="pip install -e '.[grafana]'") from None
    return GrafanaApi.from_url(url=url, credential=token, timeout=timeout)


def _not_found(error: Exception) -> bool:
    return type(error).__name__ == "GrafanaClientError" and getattr(error, "status_code", None) == 404


def _strip(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in SERVER_FIELDS}


def _get(fetch: Any, *args: Any) -> Any:
    try:
        return fetch(*args)
    except Exception as error:  # grafana-client raises its own classes by status
        if _not_found(error):
            return None
        raise


def datasource_payloads(entries: list[Any], outputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The target datasources to create in Managed Grafana (url from the params or a stack output)."""
    payloads = []
    for entry in entries:
        url = entry.url
        if entry.url_output:
            url = outputs.get(entry.url_output)
            if not url:
                raise OrchestrationError(entry.target_uid, f"stack output {entry.url_output} is not available",
                                         hint="apply that stack first, or set url in the map entry")
        payload = {"uid": entry.target_uid, "name": entry.target_name, "type": entry.target_type, "access": "proxy",
                   "jsonData": dict(entry.json_data)}
        if url:
            payload["url"] = str(url)
        payloads.append(payload)
    return payloads


def import_bundle(api: Any, bundle: GrafanaBundle, datasources: list[dict[str, Any]]) -> list[ImportRow]:
    """Folders, then datasources, dashboards and rules; each read first, written only if different, read back."""
    rows = []
    for folder in bundle.folders:
        current = _get(api.folder.get_folder, folder.uid)
        if current is None:
            api.folder.create_folder(folder.title, uid=folder.uid)
            action = "created"
        elif current.get("title") != folder.title:
            api.folder.update_folder(folder.uid, title=folder.title, overwrite=True)
            action = "updated"
        else:
            action = "unchanged"
        back = api.folder.get_folder(folder.uid)
        rows.append(ImportRow("folder", folder.uid, action, back.get("uid") == folder.uid
                              and back.get("title") == folder.title))
    for payload in datasources:
        current = _get(api.datasource.get_datasource_by_uid, payload["uid"])
        if current is None:
            api.datasource.create_datasource(payload)
            action = "created"
        elif {k: current.get(k) for k in payload} != payload:
            api.datasource.update_datasource_by_uid(payload["uid"], payload)
            action = "updated"
        else:
            action = "unchanged"
        back = api.datasource.get_datasource_by_uid(payload["uid"])
        rows.append(ImportRow("datasource", payload["uid"], action, {k: back.get(k) for k in payload} == payload))
    for folder_uid, dashboard in bundle.dashboards:
        current = _get(api.dashboard.get_dashboard, dashboard["uid"])
        same = current is not None and _strip(current["dashboard"]) == _strip(dashboard) \
            and current.get("meta", {}).get("folderUid") == folder_uid
        if not same:
            api.dashboard.update_dashboard({"dashboard": {**_strip(dashboard), "id": None}, "folderUid": folder_uid,
                                            "overwrite": True, "message": "runbook phase 5"})
        back = api.dashboard.get_dashboard(dashboard["uid"])
        equal = _strip(back["dashboard"]) == _strip(dashboard) and back.get("meta", {}).get("folderUid") == folder_uid
        rows.append(ImportRow("dashboard", dashboard["uid"], "unchanged" if same else
                              ("created" if current is None else "updated"), equal))
    for rule in bundle.rules:
        current = _get(api.alertingprovisioning.get_alertrule, rule["uid"])
        if current is None:
            api.alertingprovisioning.create_alertrule(rule, disable_provenance=True)
            action = "created"
        elif _strip(current) != _strip(rule):
            api.alertingprovisioning.update_alertrule(rule["uid"], rule, disable_provenance=True)
            action = "updated"
        else:
            action = "unchanged"
        back = api.alertingprovisioning.get_alertrule(rule["uid"])
        rows.append(ImportRow("alert rule", rule["uid"], action, _strip(back) == _strip(rule),
                              paused=bool(back.get("isPaused"))))
    return rows


def import_frame(rows: list[ImportRow]) -> Any:
    import pandas as pd

    return pd.DataFrame([row.__dict__ for row in rows])
