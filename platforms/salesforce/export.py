"""Salesforce's conversation export, as the reports' handle-time import reads it.

A ``MessagingSession`` report or Data Loader export: ``Id``, ``StartTime``, ``EndTime``,
``AcceptTime``. There is no handle-time field: Salesforce's object reference advises the
session length ``EndTime - AcceptTime`` to assess agent work, which is what the import computes
(``accepted``).
https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-messagingsession.html
and https://developer.salesforce.com/docs/atlas.en-us.250.0.object_reference.meta/object_reference/sforce_api_objects_messagingsession.htm
``jti``/``sub``: custom fields holding the verified identity, when the org adds them.
"""

# field -> the export's accepted column headers (the first one found wins)
COLUMNS: dict[str, tuple[str, ...]] = {
    "conversation_id": ("Id", "Messaging Session ID"),
    "start": ("StartTime", "Start Time"),
    "end": ("EndTime", "End Time"),
    "accepted": ("AcceptTime", "Accept Time"),
    "jti": ("jti", "Portal_Jti__c"),
    "sub": ("sub", "Portal_Subject__c"),
}
