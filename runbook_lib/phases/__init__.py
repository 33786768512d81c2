"""The notebook-facing layer: what a phase notebook calls, and the headless runner that executes them.

``session`` opens a phase (params, evidence ledger, redacted logging); ``stack`` drives one Terraform stack
through plan -> review -> gate -> apply; ``migration`` drives one kind of data move; ``preflight`` checks it is
safe to start; ``headless`` runs the notebooks with papermill. Imported by notebooks and ``cli`` only.
"""
