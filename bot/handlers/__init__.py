"""Telegram adapters: one module per feature; registry.py registers them all, in order."""
