"""Tables, comparisons and the one place that writes files."""
