"""Benchmarks (`python -m bench`, `make bench`): figures with ratios against a same-run baseline."""
