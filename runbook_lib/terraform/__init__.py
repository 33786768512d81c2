"""Drive Terraform for one stack: the runner, the typed plan and state, tfvars, the sandbox override file,
the machine-readable messages, the destructive-change guard and the approval gates.

Imported by ``phases``, ``infra`` and ``cli``; imports only ``params`` and the leaves. It does not know the
sandbox: whoever builds a runner passes the endpoint override in.
"""
