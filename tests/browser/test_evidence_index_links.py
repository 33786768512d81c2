"""The evidence index an auditor opens, in headless Debian Chromium: every link resolves, every image loads.

The run folder is made the way a phase makes it — the evidence ledger records a plan, a gate, a table, a chart
and an executed notebook (exported to HTML by nbconvert) and seals the phase end — then served over loopback
HTTP, so each link's status code is real. The screenshot of the index is kept in the run folder *through the
ledger* (as a chart), so `runbook evidence verify` still passes afterwards: a file dropped into the folder
beside the ledger would be reported as unrecorded.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import matplotlib
import nbformat
import pandas as pd
import pytest
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from runbook_lib.evidence import (  # noqa: E402
    EvidenceLedger,
    generate_ed25519_key,
    trust_from_params,
    verify_evidence,
)
from runbook_lib.params import parse_params  # noqa: E402

pytestmark = pytest.mark.browser

PARAMS = Path(__file__).resolve().parents[1] / "fixtures" / "params" / "valid.yaml"
PHASES = ["01_network_iam", "02_index_in_browser"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BROKEN_IMAGES = "els => els.filter(e => !e.complete || e.naturalWidth === 0).map(e => e.src)"


class _Png:
    """A PNG screenshot in the shape ``EvidenceLedger.record_chart`` takes (an object with ``savefig``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def savefig(self, sink, **_: object) -> None:
        sink.write(self.data)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep the test output to the assertions
        pass


@pytest.fixture()
def params(tmp_path: Path):
    key = tmp_path / "keys" / "evidence.pem"
    generate_ed25519_key(key)
    data = yaml.safe_load(PARAMS.read_text())
    data["evidence"]["html_export"] = True
    data["evidence"]["signing"] = {"mode": "ed25519", "key_file": str(key)}
    return parse_params(data)


@pytest.fixture()
def run_dir(tmp_path: Path, params) -> Path:
    """A small phase's evidence: plan, gate, table, chart, executed notebook with its HTML export, sealed."""
    ledger = EvidenceLedger("browser-run", tmp_path / "outputs", params=params, phases=PHASES, selected=PHASES)
    phase = PHASES[0]
    ledger.start_phase(phase, parameters={"env": "sandbox", "phase": phase})
    plan = tmp_path / "network.tfplan"
    plan.write_bytes(b"binary plan bytes")
    digest = ledger.record_plan(plan, phase=phase, stack=phase, summary={"create": 2})
    ledger.record_gate({"gate": f"{phase}-apply", "approved": True, "decided_by": "policy", "plan_sha256": digest})
    ledger.record_table(phase, "subnets", pd.DataFrame({"cidr": ["10.0.0.0/24", "10.0.1.0/24"], "ok": [True, True]}))
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2])
    ledger.record_chart(phase, "sizes", fig)
    plt.close(fig)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · Network"), nbformat.v4.new_code_cell("1 + 1")]
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb_path = tmp_path / f"{phase}.ipynb"
    nbformat.write(nb, nb_path)
    ledger.add_notebook(phase, nb_path)
    ledger.finish_phase("succeeded", phase=phase)
    return ledger.run_dir


@pytest.fixture()
def served(run_dir: Path) -> Iterator[str]:
    """The outputs folder over loopback HTTP; yields the index URL."""
    handler = functools.partial(_Quiet, directory=str(run_dir.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{run_dir.name}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_evidence_index_links_resolve_and_screenshot_is_kept(chromium_context, run_dir: Path, served: str, params):
    page = chromium_context.new_page()
    try:
        response = page.goto(served)
        assert response is not None and response.status == 200
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(served))
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        followed = []
        for link in dict.fromkeys(links):
            target, fragment = urldefrag(link)
            if target == served or not target:
                if fragment:  # an in-page anchor must name an element of the index
                    assert page.locator(f"[id='{fragment}'], a[name='{fragment}']").count() >= 1, link
                continue
            assert target.startswith(origin), f"link leaves the run folder (no internet for an auditor): {link}"
            answer = chromium_context.request.get(target)  # the browser's own HTTP stack (downloads too)
            assert answer.status == 200, f"broken link {link}: HTTP {answer.status}"
            if urlsplit(target).path.endswith(".html"):  # a page: open it, and its images must load
                sub = chromium_context.new_page()
                try:
                    opened = sub.goto(target)
                    assert opened is not None and opened.status == 200, link
                    assert sub.eval_on_selector_all("img", BROKEN_IMAGES) == [], link
                finally:
                    sub.close()
            followed.append(target[len(origin) :])
        # what the phase recorded is reachable from the index
        assert any(p.endswith(".csv") for p in followed), followed
        assert any(p.endswith(".png") for p in followed), followed
        assert any(p.endswith(".html") and "notebook" in p for p in followed), followed
        assert page.eval_on_selector_all("img", BROKEN_IMAGES) == []
        shot = page.screenshot(full_page=True)
    finally:
        page.close()

    assert shot.startswith(PNG_MAGIC) and len(shot) > 5_000
    ledger = EvidenceLedger.open(run_dir)
    ledger.start_phase(PHASES[1], parameters={"env": "sandbox", "phase": PHASES[1]})
    relative = ledger.record_chart(PHASES[1], "evidence index in Chromium", _Png(shot))
    ledger.finish_phase("succeeded", phase=PHASES[1])  # sealed like any phase end
    assert (run_dir / relative).read_bytes() == shot
    assert relative in (run_dir / "index.html").read_text()
    report = verify_evidence(run_dir, trust=trust_from_params(params))
    assert report.ok, report.errors
