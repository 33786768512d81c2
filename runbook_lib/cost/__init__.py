"""Cost: Cost Explorer actuals (cached, paid requests counted), Budgets actual vs limit, and an offline estimate of a
saved Terraform plan before its gate.

Imported by cutover/, phases/ and cli/; imports terraform/ and below.
"""
