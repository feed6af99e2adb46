"""The fault tests start the bot many times; the content pack is parsed once per run for all
bots started in this process (tests/content_cache.py, through the harness)."""
