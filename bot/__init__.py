"""Helpdesk bot for returnees and migrants: FAQ, eligibility, caseworker queue."""

__version__ = "0.1.0"
