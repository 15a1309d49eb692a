"""Speed goals, printed as ratios measured in one run (`make bench`); not part of the tests."""
