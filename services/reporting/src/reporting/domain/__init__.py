"""Reporting's pure rules: facts → entity snapshots → figures. No I/O here."""
