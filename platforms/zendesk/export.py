"""Zendesk's conversation export, as the reports' handle-time import reads it.

The Chat incremental export's chat objects flattened to CSV: ``id``, ``timestamp``,
``end_timestamp``, ``duration`` (seconds), ``visitor.id``/``external_id``:
https://developer.zendesk.com/api-reference/live-chat/chat-api/incremental_export/ (field names
as in https://fivetran.com/docs/connectors/applications/zendesk-chat/connector-schema).
"""

# field -> the export's accepted column headers (the first one found wins)
COLUMNS: dict[str, tuple[str, ...]] = {
    "conversation_id": ("id", "chat_id"),
    "start": ("timestamp",),
    "end": ("end_timestamp",),
    "handle": ("duration",),
    "jti": ("jti",),
    "sub": ("external_id", "visitor.external_id", "sub"),
}
