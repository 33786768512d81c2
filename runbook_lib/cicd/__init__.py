"""CI/CD for the runbook itself (phase 6): GitHub Actions workflows generated from the params, validated by
actionlint and the workflow JSON schema; the OIDC trust policy's subject rules.

Imported by phases/ and cli/; imports params and below.
"""
