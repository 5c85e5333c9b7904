"""The certified attributes a platform shows its agent: claim name -> ``Conversation`` field.

The one mapping the sandbox keeps: what it stores from a verified token
(``services.open_session``), what it asks a Genesys data action for (``genesys``) and what it
hands back to the chat window (``services.identity_view``).
"""

CERTIFIED = {
    "firstName": "first_name",
    "lastName": "last_name",
    "accountTier": "account_tier",
    "isVip": "is_vip",
    "accountBalance": "account_balance",
    "currency": "currency",
}
# claims shown beside the certified attributes: claim name -> Conversation field
IDENTIFYING = {"sub": "subject", "iss": "issuer"}
