"""The applied infrastructure, checked: ``iac_check`` (fmt, validate, checkov, sandbox apply/plan/destroy,
leftovers) and ``verify`` (read every applied resource back from AWS, one module per service).

Imported by ``phases`` and ``cli``; imports ``terraform``, ``clients``/``endpoints`` and the leaves.
"""
