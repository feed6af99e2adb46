"""The per-update context: services, the person and their language, resolved once, early."""

from __future__ import annotations

from typing import Any, TypeVar

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.callbacks import CallbackData
from bot.i18n import Tr
from bot.services import Services
from bot.storage.people import Person


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context plus what the first handler group resolved for this update."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._tr: Tr | None = None
        self.person: Person | None = None
        self.update_id = 0  # of the update being handled; marks state writes (replays)

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data["services"]
        return services

    @property
    def tr(self) -> Tr:
        if self._tr is None:  # jobs and errors before resolution: the pack's default language
            self._tr = self.services.catalogs.tr(self.services.content.pack.default_language)
        return self._tr

    @tr.setter
    def tr(self, value: Tr) -> None:
        self._tr = value


C = TypeVar("C", bound=CallbackData)


def pressed_data(update: Update, kind: type[C]) -> C | None:
    """The pressed button's data as `kind`; None when malformed (it is client-supplied)."""
    return kind.unpack(update.callback_query.data if update.callback_query else None)


async def leave_step(context: BotContext) -> None:
    """Forget the step the person was in; no write when there was none (most updates)."""
    person = context.person
    if person is not None and person.state is not None:
        await context.services.people.set_state(person.user_id, None, update_id=context.update_id)
        person.state, person.state_data = None, {}
