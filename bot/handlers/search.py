"""Free-text search over the FAQ in the person's language and its fallbacks."""

from __future__ import annotations

from telegram import Update

from bot.handlers.context import BotContext
from bot.handlers.render import show
from bot.ui.search import results

MAX_QUERY = 300  # a pasted letter is cut; the first words carry the question


async def search_faq(update: Update, context: BotContext, text: str) -> None:
    """Answer typed text with the best-matching FAQ items (the query itself is not stored)."""
    bundle = context.services.content
    chain = bundle.pack.language_chain(context.tr.lang)
    hits = bundle.search.search(text[:MAX_QUERY], chain[0], chain[1:], limit=5)
    await show(update, results(bundle.pack, hits, context.tr))
