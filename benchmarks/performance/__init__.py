"""The performance suite (issue 7): `python -m benchmarks.performance [--quick|--full]`."""
