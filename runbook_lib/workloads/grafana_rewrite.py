"""Rewrite the platform's Grafana dashboards and alert rules for Amazon Managed Grafana, through an explicit map.

Why explicit: each datasource reference (by uid and type) is swapped for the target the params name
(Prometheus -> Amazon Managed Prometheus, Loki -> CloudWatch Logs, PostgreSQL -> the RDS endpoint); a
reference the map does not name is an error that names it, never carried over. When the type changes
(Loki -> CloudWatch Logs) the query language changes too, and no automatic translation exists: each query
needs its translation in the map entry, or the rewrite stops naming the query. Folders keep their uids;
alert rules come out paused (they are enabled at cutover).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runbook_lib.errors import OrchestrationError, UnmappedDatasourceError

#: Grafana's own pseudo-datasources: never mapped, never rewritten.
BUILTIN_UIDS = frozenset({"__expr__", "-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana"})


@dataclass(frozen=True)
class Folder:
    uid: str
    title: str


@dataclass
class GrafanaBundle:
    """What the platform's Grafana holds: folders, dashboards (by folder uid) and alert rules (API form)."""

    folders: list[Folder]
    dashboards: list[tuple[str, dict[str, Any]]]  # (folder uid, dashboard JSON)
    rules: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RewriteRow:
    kind: str  # dashboard | alert rule
    uid: str
    folder_uid: str
    rewritten: int
    mapping: str  # "prometheus->amp, loki->cloudwatch-logs"


def load_bundle(dashboards_dir: Path, folders_file: Path, rules_file: Path | None) -> GrafanaBundle:
    """Read folders, every ``dashboards/<folder uid>/*.json`` and the alert rules file (one-line errors)."""
    if not folders_file.is_file():
        raise OrchestrationError(str(folders_file), "folders file does not exist",
                                 hint="set orchestration.grafana.folders_file")
    folders = [Folder(str(f["uid"]), str(f["title"])) for f in yaml.safe_load(folders_file.read_text())["folders"]]
    by_uid = {f.uid: f for f in folders}
    if not dashboards_dir.is_dir():
        raise OrchestrationError(str(dashboards_dir), "dashboards folder does not exist",
                                 hint="set orchestration.grafana.dashboards_dir")
    dashboards = []
    for path in sorted(dashboards_dir.rglob("*.json")):
        folder_uid = path.parent.name
        if folder_uid not in by_uid:
            raise OrchestrationError(str(path), f"folder {folder_uid!r} is not in {folders_file.name}",
                                     hint=f"known folders: {', '.join(by_uid)}")
        dashboards.append((folder_uid, load_dashboard(path)))
    rules = load_rules(rules_file, {f.title: f.uid for f in folders}) if rules_file else []
    return GrafanaBundle(folders, dashboards, rules)


def load_dashboard(path: Path) -> dict[str, Any]:
    """One dashboard file; not JSON (or not an object with a uid) is a one-line error naming the file."""
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise OrchestrationError(str(path), f"not JSON (line {error.lineno} column {error.colno}: {error.msg})",
                                 hint="export the dashboard as JSON from Grafana") from None
    if not isinstance(data, dict) or not data.get("uid"):
        raise OrchestrationError(str(path), "not a dashboard (a JSON object with a uid)",
                                 hint="export the dashboard model, not a search result")
    return data


def load_rules(path: Path, folder_uids: dict[str, str]) -> list[dict[str, Any]]:
    """Alert rules from a unified-alerting provisioning file, in the provisioning API's shape."""
    if not path.is_file():
        raise OrchestrationError(str(path), "alert rules file does not exist",
                                 hint="set orchestration.grafana.alert_rules_file")
    document = yaml.safe_load(path.read_text()) or {}
    rules = []
    for group in document.get("groups", []):
        folder = group.get("folder")
        if folder not in folder_uids:
            raise OrchestrationError(str(path), f"group {group.get('name')!r} is in unknown folder {folder!r}",
                                     hint=f"known folders: {', '.join(folder_uids)}")
        for rule in group.get("rules", []):
            api_rule = {k: v for k, v in rule.items()}
            api_rule.update({"folderUID": folder_uids[folder], "ruleGroup": group["name"],
                             "orgID": group.get("orgId", 1)})
            rules.append(api_rule)
    return rules


class DatasourceMap:
    """The params' ``datasource_map`` keyed by source uid (a reference must also match the source type)."""

    def __init__(self, entries: list[Any]) -> None:
        self.by_uid = {e.source_uid: e for e in entries}

    def target(self, where: str, uid: str, ds_type: str | None) -> Any:
        entry = self.by_uid.get(uid)
        if entry is None or (ds_type and entry.source_type != ds_type):
            raise UnmappedDatasourceError(where, uid, ds_type or "?", sorted(self.by_uid))
        return entry


def rewrite_bundle(bundle: GrafanaBundle, entries: list[Any]) -> tuple[GrafanaBundle, list[RewriteRow]]:
    """A rewritten copy of the bundle (the input is not changed) and one row per dashboard and rule."""
    mapping = DatasourceMap(entries)
    rows = []
    dashboards = []
    for folder_uid, dashboard in bundle.dashboards:
        new, used = rewrite_dashboard(dashboard, mapping)
        dashboards.append((folder_uid, new))
        rows.append(RewriteRow("dashboard", new["uid"], folder_uid, len(used), _pairs(used)))
    rules = []
    for rule in bundle.rules:
        new, used = rewrite_rule(rule, mapping)
        rules.append(new)
        rows.append(RewriteRow("alert rule", new["uid"], new["folderUID"], len(used), _pairs(used)))
    return GrafanaBundle(list(bundle.folders), dashboards, rules), rows


def _pairs(used: list[tuple[str, str]]) -> str:
    return ", ".join(sorted({f"{a}->{b}" for a, b in used}))


def rewrite_dashboard(dashboard: dict[str, Any], mapping: DatasourceMap) -> tuple[dict[str, Any], list]:
    new = copy.deepcopy(dashboard)
    used: list[tuple[str, str]] = []
    where = f"dashboard {new['uid']}"
    for panel in _panels(new):
        panel_where = f"{where} panel {panel.get('id')!r} ({panel.get('title', '')})"
        panel_entry = None
        if isinstance(panel.get("datasource"), (dict, str)):
            panel_entry = _swap_ref(panel, panel_where, mapping, used)
        for target in panel.get("targets", []):
            entry = _swap_ref(target, panel_where, mapping, used) if "datasource" in target else panel_entry
            if entry is not None:
                _translate_query(target, entry, panel_where)
    for variable in new.get("templating", {}).get("list", []):
        if isinstance(variable.get("datasource"), (dict, str)):
            _swap_ref(variable, f"{where} variable {variable.get('name')!r}", mapping, used)
    return new, used


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))  # rows hold their collapsed panels
    return out


def _swap_ref(holder: dict[str, Any], where: str, mapping: DatasourceMap, used: list) -> Any:
    ref = holder["datasource"]
    uid, ds_type = (ref.get("uid"), ref.get("type")) if isinstance(ref, dict) else (ref, None)
    if uid is None or uid in BUILTIN_UIDS or (isinstance(uid, str) and uid.startswith("$")):
        return None
    entry = mapping.target(where, uid, ds_type)
    holder["datasource"] = {"type": entry.target_type, "uid": entry.target_uid}
    used.append((uid, entry.target_uid))
    return entry


def _translate_query(target: dict[str, Any], entry: Any, where: str) -> None:
    """Same type: the query stays. Loki -> CloudWatch Logs: the map's translation, or an error naming the query."""
    if entry.source_type == entry.target_type:
        return
    source_query = target.get("expr")
    if source_query is None:
        return
    translated = entry.query_translations.get(source_query)
    if translated is None:
        raise OrchestrationError(where, f"query {source_query!r} ({entry.source_type}) has no translation to "
                                 f"{entry.target_type}", hint=f"add it to query_translations of {entry.source_uid}")
    target.pop("expr")
    target.update({"queryMode": "Logs", "expression": translated, "logGroupNames": list(entry.log_groups),
                   "region": "default"})


def rewrite_rule(rule: dict[str, Any], mapping: DatasourceMap) -> tuple[dict[str, Any], list]:
    new = copy.deepcopy(rule)
    used: list[tuple[str, str]] = []
    where = f"alert rule {new['uid']}"
    for query in new.get("data", []):
        uid = query.get("datasourceUid")
        if uid in BUILTIN_UIDS:
            continue
        entry = mapping.target(where, uid, None)
        query["datasourceUid"] = entry.target_uid
        model = query.setdefault("model", {})
        model["datasource"] = {"type": entry.target_type, "uid": entry.target_uid}
        _translate_query(model, entry, f"{where} query {query.get('refId')}")
        used.append((uid, entry.target_uid))
    new["isPaused"] = True  # enabled at cutover
    return new, used


def rows_frame(rows: list[RewriteRow]) -> Any:
    import pandas as pd

    return pd.DataFrame([row.__dict__ for row in rows])
