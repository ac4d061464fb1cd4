"""What holds a card up: a card is blocked with a reason (labels from the client, a GPU slot,
a review) until someone unblocks it. Both are entries in the card's research log, so the time
it spent blocked can be counted (``retro.blocked_spans``)."""

from __future__ import annotations

from tkanban.core.board.transaction import append_log, card_for_write, card_now, touch
from tkanban.core.errors import ValidationError
from tkanban.core.model.records import CardInfo
from tkanban.core.model.text import LINE_MAX, clean, clean_name
from tkanban.core.storage.base import Store


def block_card(store: Store, card_id: int, reason: str, *, author: str,
               expected_version: int | None = None) -> CardInfo:
    """Mark a card blocked, saying why (a blocked card given a new reason keeps its start)."""
    reason = clean(reason, "reason", max_len=LINE_MAX, required=True)
    author = clean_name(author, "user name")
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        if card.blocked == reason:
            return card_now(session, card)
        was = card.blocked
        card.blocked = reason
        now = store.clock()
        touch(session, card, now)
        append_log(session, card, author, now, "block",
             f"blocked: {reason}" if was is None else f"still blocked, now: {reason}",
             {"reason": reason, "was": was})
        session.flush()
        return card_now(session, card)


def unblock_card(store: Store, card_id: int, *, author: str,
                 expected_version: int | None = None) -> CardInfo:
    """Take the block off a card."""
    author = clean_name(author, "user name")
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        if card.blocked is None:
            raise ValidationError(f"card #{card_id} is not blocked")
        was, card.blocked = card.blocked, None
        now = store.clock()
        touch(session, card, now)
        append_log(session, card, author, now, "unblock", f"unblocked (was: {was})",
                   {"reason": was})
        session.flush()
        return card_now(session, card)

