"""The browser tier's scratch folder (``tests/browser/lab_driver.make_lab_workdir``): every params copy writes under it.

Why in the unit tier: the browser tests start JupyterLab and Chromium, but whether the parameters they hand the
kernels point into the checkout (the evidence folder, the sandbox's signing key under ``outputs/.keys``) is a
question about the copied YAML files, answered in milliseconds on every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from browser.lab_driver import REPO, make_lab_workdir

from runbook_lib.params import load_params_file

pytestmark = pytest.mark.unit


def test_every_params_copy_keeps_its_evidence_and_signing_key_in_the_scratch_folder(tmp_path: Path) -> None:
    base = make_lab_workdir(tmp_path, notebooks=[])
    copies = sorted((base / "params").glob("*.yaml"))
    assert [p.name for p in copies] == sorted(p.name for p in (REPO / "params").glob("*.yaml"))
    keyed = []
    for copy in copies:
        data = yaml.safe_load(copy.read_text())
        evidence = data.get("evidence") if isinstance(data, dict) else None
        if not isinstance(evidence, dict):
            continue
        assert Path(evidence["outputs_dir"]) == base / "outputs", copy.name
        key_file = (evidence.get("signing") or {}).get("key_file")
        if key_file:
            keyed.append(copy.name)
            assert Path(key_file).parent == base / "keys", (copy.name, key_file)
    assert "sandbox.yaml" in keyed  # the stored sandbox params name outputs/.keys/… of the checkout
    params = load_params_file(base / "params" / "sandbox.yaml", env="sandbox")
    assert params.evidence.signing.key_file == base / "keys" / "sandbox-evidence-ed25519.pem"


def test_a_test_may_still_choose_its_own_key_file(tmp_path: Path) -> None:
    own = tmp_path / "elsewhere" / "key.pem"

    def edit(data: dict) -> None:
        if data.get("env") == "sandbox":
            data["evidence"]["signing"]["key_file"] = str(own)

    base = make_lab_workdir(tmp_path, notebooks=[], edit_params=edit)
    data = yaml.safe_load((base / "params" / "sandbox.yaml").read_text())
    assert data["evidence"]["signing"]["key_file"] == str(own)
