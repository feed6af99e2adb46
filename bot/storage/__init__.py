"""Storage: one SQLite database behind small repositories. Nothing else writes SQL."""
