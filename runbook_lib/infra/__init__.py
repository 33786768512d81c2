"""The applied infrastructure, checked and driven from params: ``iac_check`` (fmt, validate, checkov, sandbox
apply/plan/destroy, leftovers), ``verify`` (read every applied resource back from AWS, one module per service), and
``terraform_setup`` (build a stack's TerraformRunner from params: the one place that resolves the sandbox endpoint).

Imported by ``phases`` and ``cli``; imports ``terraform``, ``params``, ``clients``/``endpoints`` and the leaves.
"""
