"""Genesys Cloud's conversation export, as the reports' handle-time import reads it.

The analytics conversation-detail fields ``conversationId``, ``conversationStart``,
``conversationEnd`` and the handle-time metric ``tHandle`` (milliseconds), or the column titles
of an Interactions view exported to CSV ("Conversation ID", "Date", "Handle"):
https://help.mypurecloud.com/articles/export-view-data/ and
https://developer.genesys.cloud/analyticsdatamanagement/analytics/detail/ (conversation detail
record). ``jti``/``sub``: a participant attribute holding the verified identity, when the
deployment writes one.
"""

# field -> the export's accepted column headers (the first one found wins)
COLUMNS: dict[str, tuple[str, ...]] = {
    "conversation_id": ("conversationId", "Conversation ID"),
    "start": ("conversationStart", "Conversation Start", "Date"),
    "end": ("conversationEnd", "Conversation End", "End Date"),
    "handle_ms": ("tHandle",),
    "handle": ("Handle", "Total Handle"),
    "jti": ("jti",),
    "sub": ("sub", "customerId"),
}
