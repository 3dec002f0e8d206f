"""Benchmarks of the fast path, each reported as a ratio to a baseline measured in the same run.

Run `python -m bench` (all, full sizes) or `python -m bench --small` (CI: small sizes, no
thresholds). See bench/RESULTS.md for the latest figures and bench/__main__.py for the
list of benchmarks. Servers are started on 127.0.0.1 only and stopped by their PID.
"""
