"""Console filters: a refusal's label for agents, next to its code."""

from django import template

from sandbox.verifier.reasons import Reason

register = template.Library()

# What an agent reads beside the code (the code stays: it is what the brand's developers
# search for). Customers never see these; their chat window words refusals its own way.
AGENT_REASON_LABELS: dict[Reason, str] = {
    Reason.MALFORMED: "Not a readable token",
    Reason.TOO_LARGE: "Token too large",
    Reason.UNSUPPORTED_ALGORITHM: "Algorithm not accepted here",
    Reason.UNKNOWN_KEY: "Signed with a key the brand does not publish",
    Reason.BAD_SIGNATURE: "Signature does not verify",
    Reason.WRONG_TYPE: "Not an identity token (wrong type)",
    Reason.EXPIRED: "Token expired",
    Reason.NOT_YET_VALID: "Token not valid yet",
    Reason.ISSUED_IN_FUTURE: "Issued in the future (clock skew)",
    Reason.WRONG_ISSUER: "Issued by someone else",
    Reason.WRONG_AUDIENCE: "Meant for another messenger",
    Reason.MISSING_CLAIM: "Identity incomplete (claim missing)",
    Reason.INVALID_CLAIM: "Identity claim not valid",
    Reason.REPLAYED: "Token used twice (replay)",
    Reason.JWKS_UNAVAILABLE: "Brand's public keys unreachable",
}


@register.filter
def reason_label(code: str) -> str:
    """The agent's label of a refusal code; an unknown code is shown as it is."""
    try:
        return AGENT_REASON_LABELS[Reason(code)]
    except ValueError:
        return code
