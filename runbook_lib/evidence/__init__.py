"""The evidence of a run: the ledger that records every step, its HTML index, and the hash check.

Imported by ``phases`` and ``cli``; imports ``params`` and the leaves.
"""
