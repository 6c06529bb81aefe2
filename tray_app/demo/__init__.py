"""The simulated Lensmor API (server.py) for the demo, the tests and the benchmarks: the
documented endpoint, its errors and rate limit, accounts with a story, faults on demand."""
