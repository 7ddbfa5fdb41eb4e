"""pullcast benchmark suite: ``python -m benchmarks NAME [--quick]``; never part of the test run."""
