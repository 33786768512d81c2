"""Moves too big for the direct path: AWS DMS (databases) and AWS DataSync (objects), and the choice by size.

Imported by ``phases`` and ``cli``; imports the migrators it hands over to and the leaves.
"""
