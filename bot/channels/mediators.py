"""The mediators' Telegram supergroup (forum topics, one per case).

"Take case" buttons assign a case; messages written in a case's topic reach the person;
`/close [outcome]` ends the case and `/release` puts it back in the queue. Only members of
the group (checked with the Bot API, not trusted from the update) can act on cases, and
only the mediator holding a case (or a supervisor, or an administrator) may release or
close it: the desk decides, and a refusal is answered in the topic.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import Message, Update, User
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.telegram import media_of
from bot.channels.telegram_send import send_all
from bot.core import buttons
from bot.core.commands import parse_command
from bot.core.markup import Markup, escape
from bot.core.messages import Button, Outbound, clean_text, telegram_origin
from bot.handoff import texts
from bot.handoff.cases import NewMessage
from bot.handoff.desk import CaseRefused, HandoffDesk
from bot.handoff.models import CaseStatus, HandoffCase, Sender
from bot.i18n import Localizer
from bot.staff.models import Role, StaffAccount

logger = logging.getLogger(__name__)

MEMBER_STATUSES = frozenset(
    {
        ChatMemberStatus.OWNER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.RESTRICTED,
    }
)
MEMBERSHIP_TTL_SECONDS = 60.0


class MediatorGroup:
    def __init__(self, desk: HandoffDesk, chat_id: int, staff: Localizer) -> None:
        self._desk = desk
        self._chat_id = chat_id
        self._staff = staff
        self._members: dict[int, float] = {}

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Must run before the generic group handler: this group is not "a group chat"."""
        in_group = filters.Chat(self._chat_id)
        application.add_handler(CallbackQueryHandler(self.on_button, pattern=r"^case:"), group=-1)
        application.add_handler(
            MessageHandler(in_group & filters.UpdateType.MESSAGE, self.on_message), group=-1
        )

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle_button(update, context)
        raise ApplicationHandlerStop  # a mediator's button is not a person's

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._handle_message(update, context)
        raise ApplicationHandlerStop  # this group is not a group the bot chats in

    async def _handle_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        message = query.message
        if message is None or message.chat.id != self._chat_id:
            await query.answer()
            return
        mediator = await self._mediator(query.from_user, context)
        if mediator is None:
            await query.answer(texts.not_a_mediator(self._staff), show_alert=True)
            return
        thread_id = message.message_thread_id if isinstance(message, Message) else None
        match buttons.unpack(query.data):
            case buttons.TakeCase(case_id=case_id):
                taken = await self._desk.take(case_id, mediator)
                await query.answer(None if taken else texts.already_taken(self._staff))
                if taken:
                    notice = texts.taken_notice(self._staff, mediator.display_name)
                    await self._reply(context, thread_id, notice)
            case buttons.CloseCase(case_id=case_id, outcome=outcome):
                await query.answer()
                await self._close(context, thread_id, case_id, mediator, outcome)
            case _:
                await query.answer()

    async def _handle_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        author = update.effective_user
        if message is None or author is None or author.is_bot:
            return
        thread_id = message.message_thread_id if message.is_topic_message else None
        if thread_id is None:
            return  # the group's general chat: not about a case
        case = await self._desk.cases.by_thread(thread_id)
        if case is None:
            return
        mediator = await self._mediator(author, context)
        if mediator is None:
            return
        command = parse_command(message.text or "")
        if command is not None:
            await self._command(case, mediator, command.name, command.argument, context)
            return
        if case.status != CaseStatus.ACTIVE:
            await self._reply(context, thread_id, texts.take_first(self._staff))
            return
        kind, file_id = media_of(message)
        await self._desk.send_from_mediator(
            case.id,
            mediator,
            NewMessage(
                sender=Sender.MEDIATOR,
                origin=telegram_origin(message.message_id),
                kind=kind,
                text=clean_text(message.text or message.caption or ""),
                file_id=file_id,
                latitude=message.location.latitude if message.location else None,
                longitude=message.location.longitude if message.location else None,
                author_id=mediator.id,
            ),
        )

    async def _command(
        self,
        case: HandoffCase,
        mediator: StaffAccount,
        name: str,
        argument: str,
        context: ContextTypes.DEFAULT_TYPE,
    ) -> None:
        thread_id = case.forum_thread_id
        if name == "close":
            outcome = argument.strip().lower()
            if outcome in texts.OUTCOMES:
                await self._close(context, thread_id, case.id, mediator, outcome)
            else:
                await self._reply(
                    context,
                    thread_id,
                    texts.choose_outcome(self._staff),
                    texts.close_buttons(self._staff, case.id),
                )
        elif name == "release":
            try:
                await self._desk.release(case.id, mediator)
            except CaseRefused as refused:
                await self._reply(
                    context, thread_id, escape(texts.refused(self._staff, refused.holder))
                )
        elif (
            name == "take"
            and case.status == CaseStatus.WAITING
            and await self._desk.take(case.id, mediator)
        ):
            await self._reply(
                context, thread_id, texts.taken_notice(self._staff, mediator.display_name)
            )

    async def _close(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        thread_id: int | None,
        case_id: int,
        mediator: StaffAccount,
        outcome: str,
    ) -> None:
        try:
            await self._desk.close(case_id, mediator, outcome)
        except CaseRefused as refused:
            await self._reply(
                context, thread_id, escape(texts.refused(self._staff, refused.holder))
            )
        except LookupError:
            logger.warning("a close button for a case that is gone")

    async def _reply(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        thread_id: int | None,
        text: Markup,
        rows: list[list[Button]] | None = None,
    ) -> None:
        await send_all(
            context.bot, self._chat_id, [Outbound(text=text, buttons=rows or [])], thread_id
        )

    async def _mediator(
        self, user: User, context: ContextTypes.DEFAULT_TYPE
    ) -> StaffAccount | None:
        """The staff account of a member of the group (created on their first action)."""
        if not await self._is_member(user.id, context):
            return None
        account = await self._desk.cases.staff_by_telegram(user.id)
        if account is None:
            account = await self._desk.cases.add_staff(
                StaffAccount(
                    username=f"telegram-{user.id}",
                    display_name=user.first_name,
                    role=Role.MEDIATOR,
                    telegram_user_id=user.id,
                )
            )
        return account if account.active else None

    async def _is_member(self, user_id: int, context: ContextTypes.DEFAULT_TYPE) -> bool:
        checked = self._members.get(user_id)
        if checked is not None and time.monotonic() - checked < MEMBERSHIP_TTL_SECONDS:
            return True
        member = await context.bot.get_chat_member(self._chat_id, user_id)
        if member.status in MEMBER_STATUSES:
            self._members[user_id] = time.monotonic()
            return True
        self._members.pop(user_id, None)
        return False
