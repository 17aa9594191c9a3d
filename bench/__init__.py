"""`make bench`: the load benchmark (bench.run), its load driver (bench.load, Locust) and the
parts both share with the in-process smoke run in the tests (bench.endpoints, bench.report)."""
