"""Named corpora of bad input for tests/scenarios/test_bad_input_*.py (see `cases`)."""
