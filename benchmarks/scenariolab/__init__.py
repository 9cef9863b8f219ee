"""The scenario lab (benchmarks/scenarios.py), one module per part."""
