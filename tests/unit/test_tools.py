"""Provider mirror discovery (``tools``) and the offline Terraform CLI configuration (``terraform.cli_config``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook_lib import tools
from runbook_lib.errors import ParamsError, ToolMissingError
from runbook_lib.terraform.cli_config import install_cli_config

pytestmark = pytest.mark.unit


def make_mirror(root: Path, version: str = "5.100.0", ptype: str = "aws") -> Path:
    folder = root / "registry.terraform.io" / "hashicorp" / ptype / version / tools.platform_dir()
    folder.mkdir(parents=True)
    (folder / f"terraform-provider-{ptype}_v{version}_x5").write_bytes(b"\x7fELF")
    return root


@pytest.fixture()
def cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "tfrc" / "cli.tfrc"
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(path))
    return path


def test_scan_mirror_lists_providers_and_versions(tmp_path: Path) -> None:
    make_mirror(tmp_path, "5.100.0")
    make_mirror(tmp_path, "6.2.0")
    make_mirror(tmp_path, "3.2.1", ptype="random")
    assert tools.scan_mirror(tmp_path) == {
        "registry.terraform.io/hashicorp/aws": ["5.100.0", "6.2.0"],
        "registry.terraform.io/hashicorp/random": ["3.2.1"],
    }


def test_scan_mirror_ignores_a_version_folder_without_a_binary(tmp_path: Path) -> None:
    (tmp_path / "registry.terraform.io/hashicorp/aws/5.1.0" / tools.platform_dir()).mkdir(parents=True)
    assert tools.scan_mirror(tmp_path) == {}


def test_explicit_mirror_wins_and_a_wrong_one_is_an_error(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "m")
    assert tools.find_provider_mirror(mirror).path == mirror
    with pytest.raises(ToolMissingError) as caught:
        tools.find_provider_mirror(tmp_path / "empty")
    assert "holds no registry.terraform.io/hashicorp/aws" in str(caught.value)
    assert caught.value.tool == "aws-provider"


def test_environment_variable_names_the_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = make_mirror(tmp_path / "env-mirror")
    monkeypatch.setenv(tools.MIRROR_ENV, str(mirror))
    found = tools.find_provider_mirror()
    assert found.path == mirror and found.found_by == f"${tools.MIRROR_ENV}"


def test_no_mirror_anywhere_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tools.MIRROR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "none"))
    monkeypatch.setattr(tools, "SEARCH_ROOTS", (str(tmp_path),))
    with pytest.raises(ToolMissingError) as caught:
        tools.find_provider_mirror()
    assert tools.MIRROR_ENV in caught.value.one_line()


def test_install_writes_then_changes_nothing(tmp_path: Path, cli_config: Path) -> None:
    mirror = make_mirror(tmp_path / "m")
    first = install_cli_config(mirror)
    assert first.action == "written"
    text = cli_config.read_text()
    assert f'path    = "{mirror}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text  # the rest comes direct
    second = install_cli_config(mirror)
    assert second.action == "unchanged" and "nothing changed" in second.message
    assert cli_config.read_text() == text


def test_install_never_overwrites_a_users_own_config(tmp_path: Path, cli_config: Path) -> None:
    mirror = make_mirror(tmp_path / "m")
    cli_config.parent.mkdir(parents=True)
    cli_config.write_text('plugin_cache_dir = "/somewhere"\n')
    refused = install_cli_config(mirror)
    assert refused.action == "refused"
    assert cli_config.read_text() == 'plugin_cache_dir = "/somewhere"\n'
    forced = install_cli_config(mirror, force=True)
    assert forced.action == "replaced"
    assert cli_config.with_suffix(".tfrc.bak").read_text() == 'plugin_cache_dir = "/somewhere"\n'


def test_missing_terraform_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError) as caught:
        tools.find_terraform_binary("auto")
    assert "terraform or tofu is not on PATH" in caught.value.one_line()
    with pytest.raises(ParamsError) as bad:
        tools.find_terraform_binary("terrafrom")
    assert bad.value.key == "terraform.binary"


def test_tofu_is_found_when_forced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "tofu"
    fake.write_text('#!/bin/sh\necho \'{"terraform_version": "1.8.0"}\'\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert tools.find_terraform_binary("tofu") == ("tofu", str(fake))
    assert tools.find_terraform_binary("auto") == ("tofu", str(fake))
