"""``runbook iac check``: fmt, validate, checkov, and the sandbox apply/plan/verify/destroy of every stack.

:class:`IacCheck` (``check``) coordinates; one module per part. Imported by ``cli`` (and ``phases``).
"""

from runbook_lib.infra.iac_check.addresses import ModuleMap, module_calls, module_path, strip_instance_keys
from runbook_lib.infra.iac_check.check import MAX_TERRAFORM, IacCheck
from runbook_lib.infra.iac_check.checkov import (
    CheckovFinding,
    CheckovReport,
    find_checkov,
    parse_checkov_json,
    run_checkov,
)
from runbook_lib.infra.iac_check.coverage import PROD_ENV, measure_coverage
from runbook_lib.infra.iac_check.gaps import GapRow, NotApplied, explain_missing, parse_gap_docs
from runbook_lib.infra.iac_check.leftovers import LISTINGS, Listing, ProjectMatch, find_leftovers, project_markers
from runbook_lib.infra.iac_check.report import IacCheckReport, Leftover, StackRun
from runbook_lib.infra.iac_check.units import Unit, discover_units, snapshot_tree, unit_of_file
from runbook_lib.infra.iac_check.validate import ValidateResult, parse_validate_json, run_fmt, validate_unit
from runbook_lib.infra.iac_check.waves import destroy_waves, stack_dependencies

__all__ = [
    "LISTINGS",
    "MAX_TERRAFORM",
    "PROD_ENV",
    "CheckovFinding",
    "CheckovReport",
    "GapRow",
    "IacCheck",
    "IacCheckReport",
    "Leftover",
    "Listing",
    "ModuleMap",
    "NotApplied",
    "ProjectMatch",
    "StackRun",
    "Unit",
    "ValidateResult",
    "destroy_waves",
    "discover_units",
    "explain_missing",
    "find_checkov",
    "find_leftovers",
    "measure_coverage",
    "module_calls",
    "module_path",
    "parse_checkov_json",
    "parse_gap_docs",
    "parse_validate_json",
    "project_markers",
    "run_checkov",
    "run_fmt",
    "snapshot_tree",
    "stack_dependencies",
    "strip_instance_keys",
    "unit_of_file",
    "validate_unit",
]
