"""00_preflight.ipynb stepped through in JupyterLab, as an operator does: Run > Run All Cells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STORED = Path(__file__).resolve().parents[2] / "notebooks" / "00_preflight.ipynb"


def test_preflight_notebook_runs_in_jupyterlab_and_shows_ready_checks(sandbox, lab_page, tmp_path: Path) -> None:
    stored_before = STORED.read_bytes()
    lab = lab_page
    lab.open("00_preflight.ipynb")
    lab.run_all_cells()
    lab.wait_all_executed()

    assert lab.error_outputs() == []
    # The checks table, rendered by pandas as HTML, one row per check.
    table = lab.notebook.locator(".jp-OutputArea-output table.dataframe", has_text="identity")
    table.wait_for()
    header = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert {"area", "check", "ready", "blocking", "detail"} <= set(header)
    rows = {}
    for row in table.locator("tbody tr").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        record = dict(zip(header[1:], cells, strict=True))  # header[0] is the index column
        rows[record["check"]] = record
    assert rows["identity"]["ready"] == "ready"
    assert "123456789012" in rows["identity"]["detail"]
    assert rows["postgres-target"]["ready"] == "ready"
    blocking_not_ready = [n for n, r in rows.items() if r["blocking"] == "True" and r["ready"] != "ready"]
    assert blocking_not_ready == []
    # The account line printed above the table names moto's account and the sandbox endpoint.
    page_text = lab.notebook.inner_text()
    assert "account 123456789012" in page_text
    assert "endpoint http://127.0.0.1:" in page_text

    # The hand run left its evidence in the server's (temporary) outputs folder, phase succeeded.
    manifests = list(lab.server.outputs_dir.glob("interactive-*/manifest.json"))
    assert len(manifests) == 1, manifests
    manifest = json.loads(manifests[0].read_text())
    assert manifest["phases"]["00_preflight"]["status"] == "succeeded"

    shot = tmp_path / "preflight.png"
    table.scroll_into_view_if_needed()
    lab.page.screenshot(path=str(shot), full_page=False)
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    # JupyterLab worked on a copy: the stored notebook is byte-for-byte what it was.
    assert STORED.read_bytes() == stored_before
