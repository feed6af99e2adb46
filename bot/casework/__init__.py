"""Casework: support requests between people and the staff chat, built on the case core,
storage and the outbox. No handler logic here: handlers call these functions."""
