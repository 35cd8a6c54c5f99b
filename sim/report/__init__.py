"""Reports of runs and comparisons: ``report.html`` (self-contained) and its twin ``report.md``."""
