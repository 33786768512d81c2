"""The Inputs/Outputs tables of the module READMEs are generated from the code (scripts/tf_module_docs.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fakes import REPO

pytestmark = pytest.mark.unit

MODULES_DIR = REPO / "terraform_infra" / "modules"

MODULE_TF = """
variable "name" {
  description = "Base name | of everything."
  type        = string
}

variable "settings" {
  description = <<-EOT
    Sizing of the thing,
    one line in the table.
  EOT
  type = object({
    size  = optional(number, 2)
    class = optional(string, "small")
  })
  default = {}
}

variable "flags" {
  description = "Switches, \\"quoted\\"."
  type        = list(string)
  default     = ["a", "b"]
}

output "arn" {
  description = "ARN of the thing."
  value       = "arn"
}
"""


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tf_module_docs", REPO / "scripts" / "tf_module_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


docs = _load_script()


def test_every_module_readme_matches_its_code() -> None:
    stale = docs.stale_readmes(MODULES_DIR, write=False)
    assert stale == [], f"stale module READMEs, run `python scripts/tf_module_docs.py`: {stale}"


def test_every_module_has_a_readme_with_markers() -> None:
    for module_dir in docs.module_dirs(MODULES_DIR):
        text = (module_dir / "README.md").read_text()
        assert docs.BEGIN in text and docs.END in text, module_dir.name


def test_tables_show_required_defaults_types_and_escape_pipes(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MODULE_TF)
    block = docs.render(*docs.read_module(tmp_path))
    assert "| `name` | Base name \\| of everything. | `string` | n/a | yes |" in block
    assert '| `flags` | Switches, "quoted". | `list(string)` | `["a", "b"]` | no |' in block
    assert "| `settings` | Sizing of the thing, one line in the table. | `object({...})` | `{}` | no |" in block
    assert "| `arn` | ARN of the thing. |" in block
    # sorted by name, as terraform-docs does
    assert block.index("`flags`") < block.index("`name`") < block.index("`settings`")


def test_check_reports_a_stale_readme_and_the_rewrite_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "thing"
    module.mkdir()
    (module / "main.tf").write_text(MODULE_TF)
    readme = module / "README.md"
    readme.write_text(f"# thing\n\nProse stays.\n\n{docs.BEGIN}\nold table\n{docs.END}\n\n## Notes\n\nKept.\n")

    assert docs.main(["--check", "--modules-dir", str(tmp_path)]) == 1
    assert "stale" in capsys.readouterr().out
    assert "old table" in readme.read_text()  # --check writes nothing

    assert docs.main(["--modules-dir", str(tmp_path)]) == 0
    text = readme.read_text()
    assert "old table" not in text and "Prose stays." in text and "## Notes\n\nKept." in text
    assert docs.main(["--check", "--modules-dir", str(tmp_path)]) == 0


def test_a_readme_without_markers_gets_the_block_appended(tmp_path: Path) -> None:
    (tmp_path / "thing").mkdir()
    (tmp_path / "thing" / "main.tf").write_text(MODULE_TF)
    assert docs.stale_readmes(tmp_path, write=True) == [tmp_path / "thing" / "README.md"]
    text = (tmp_path / "thing" / "README.md").read_text()
    assert text.startswith("# thing\n\n" + docs.BEGIN) and text.endswith(docs.END + "\n")
