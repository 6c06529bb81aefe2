"""Named corpora of bad input for tests/test_bad_input.py (see `cases`)."""
