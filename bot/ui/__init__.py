"""Screens: what the bot shows, built from the core and a Tr, without Telegram types."""
