"""Disaster recovery: the DR drill that restores from backups/snapshots into a scratch target and measures RPO and
RTO, and the rollback of a phase.

Imported by cutover/, phases/ and cli/; imports migrate/, terraform/, evidence/ and below.
"""
