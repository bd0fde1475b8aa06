"""The benchmark driver: standard library only, so it runs from any Python 3.11+ without installing anything.

Everything that needs Django runs in the per-system virtualenvs through the
scripts in ``benchmarks/worker``; this package creates those virtualenvs,
starts the workers and servers, drives the load and reports.
"""
