"""English texts of each area of the console, keyed by the Polish source text."""
