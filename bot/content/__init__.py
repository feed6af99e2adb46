"""Content pack: model, loader, validator and search. No Telegram imports."""
