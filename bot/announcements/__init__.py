"""Announcements people opt into: topics, prepared announcements in the pack, typed ones
checked before sending, the audience and how long sending takes. Plain Python: no Telegram,
no SQL (storage is bot/storage/subscriptions.py and broadcasts.py; the sender is
bot/delivery/broadcast.py; handlers are bot/handlers/announce.py and staff/announce.py)."""
