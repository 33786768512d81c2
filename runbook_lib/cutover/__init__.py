"""Cutover: the go/no-go table built from a run's evidence, the timed and gated switch sequence (freeze, final sync,
verify, switch, unfreeze), weighted Lambda alias routing for producers, and the rollback rehearsal.

Imported by phases/ and cli/; may import dr/, health/, cost/, migrate/ and below.
"""
