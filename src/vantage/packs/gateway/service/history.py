"""Conversation limits: how many messages, how long each, how long in all (chars and tokens).

Shape problems (too many messages, an empty conversation) are 422; size problems (one message
or the whole conversation too long) are 413. The token count uses the gateway's tokenizer, and
only when the UTF-8 size could exceed the limit (a token is at least one byte).
"""

from __future__ import annotations

from collections.abc import Sequence

from vantage.core.errors import PayloadTooLarge, ValidationFailed
from vantage.packs.gateway.domain.token_counter import TokenCounter
from vantage.packs.gateway.settings import GatewaySettings


def check_history(
    settings: GatewaySettings,
    tokens: TokenCounter,
    texts: Sequence[str],
    *,
    field: str = "messages",
) -> int:
    """Validate the prompt texts (system prompt included); returns the estimated prompt tokens."""
    if not texts:
        raise ValidationFailed.field(("body", field), "the conversation has no message")
    if len(texts) > settings.max_messages:
        raise ValidationFailed.field(
            ("body", field),
            f"the conversation has {len(texts)} messages; at most {settings.max_messages} "
            "are accepted (drop or summarise older turns)",
            "too_many_messages",
        )
    total_chars = 0
    for index, text in enumerate(texts):
        if len(text) > settings.max_message_chars:
            raise PayloadTooLarge(
                f"message {index} has {len(text)} characters; at most "
                f"{settings.max_message_chars} are accepted",
                errors=[
                    {
                        "loc": ["body", field, index],
                        "message": "message too long",
                        "type": "message_too_long",
                    }
                ],
            )
        total_chars += len(text)
    if total_chars > settings.max_total_chars:
        raise PayloadTooLarge(
            f"the conversation has {total_chars} characters; at most "
            f"{settings.max_total_chars} are accepted",
            errors=[
                {
                    "loc": ["body", field],
                    "message": "conversation too long",
                    "type": "conversation_too_long",
                }
            ],
        )
    # The heuristic is cheap and close; the tokenizer decides only near the limit.
    counted = tokens.estimate_prompt(texts)
    if counted * 2 > settings.max_input_tokens:
        counted = tokens.count_prompt(texts)
    if counted > settings.max_input_tokens:
        raise PayloadTooLarge(
            f"the conversation has about {counted} tokens; at most "
            f"{settings.max_input_tokens} are accepted",
            errors=[
                {"loc": ["body", field], "message": "too many tokens", "type": "too_many_tokens"}
            ],
        )
    return counted
