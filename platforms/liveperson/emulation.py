"""LivePerson authenticated messaging: RS256 from the brand's JWKS, ``aud`` required.

``iss`` exact, ``aud`` must contain ours, ``sub``, ``iat``, ``exp`` required; ``lp_sdes``,
when present, must be a list of SDE objects: ``{"type": "ctmrinfo", "info": {...}}`` or
``{"type": "personal", "personal": {...}}`` (other documented types pass through), with
``customerId``/``ctype``/``cstatus``/``currency`` strings when present, ``balance`` a NUMBER
(LivePerson types it double: a string is ``invalid_claim``), ``contacts`` a list of objects.
Sources: https://developers.liveperson.com/messaging-window-api-tutorials-authentication.html ,
https://developers.liveperson.com/engagement-attributes-types-of-engagement-attributes.html
"""

from sandbox.verifier.profiles.base import Profile
from sandbox.verifier.reasons import Reason, Rejected


def _bad(why: str) -> Rejected:
    return Rejected(Reason.INVALID_CLAIM, f"'lp_sdes': {why}")


def lp_sdes_shape(claims: dict) -> None:
    if "lp_sdes" not in claims:
        return
    sdes = claims["lp_sdes"]
    if not isinstance(sdes, list) or not sdes or len(sdes) > 20:
        raise _bad("must be a non-empty list of SDE objects")
    for entry in sdes:
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise _bad("each entry must be an object with a 'type'")
        if entry["type"] == "ctmrinfo":
            info = entry.get("info")
            if not isinstance(info, dict):
                raise _bad("ctmrinfo needs an 'info' object")
            for name in ("customerId", "ctype", "cstatus", "currency"):
                if name in info and not isinstance(info[name], str):
                    raise _bad(f"ctmrinfo.{name} must be a string")
            balance = info.get("balance", 0)
            if isinstance(balance, bool) or not isinstance(balance, int | float):
                raise _bad("ctmrinfo.balance must be a number (LivePerson types it double)")
        elif entry["type"] == "personal":
            personal = entry.get("personal")
            if not isinstance(personal, dict):
                raise _bad("personal needs a 'personal' object")
            for name in ("firstname", "lastname"):
                if name in personal and not isinstance(personal[name], str):
                    raise _bad(f"personal.{name} must be a string")
            contacts = personal.get("contacts", [])
            if not isinstance(contacts, list) or not all(isinstance(c, dict) for c in contacts):
                raise _bad("personal.contacts must be a list of objects")


def certified_view(claims: dict) -> dict:
    """sub; ctmrinfo (ctype "vip" or a tier, balance, currency); personal names."""
    view: dict = {"sub": claims.get("sub"), "iss": claims.get("iss")}
    for entry in claims.get("lp_sdes") or []:
        if entry.get("type") == "ctmrinfo":
            info = entry.get("info", {})
            ctype = info.get("ctype")
            if ctype == "vip":
                view["isVip"] = True
            elif isinstance(ctype, str):
                view["accountTier"] = ctype
            if "balance" in info:
                view["accountBalance"] = f"{info['balance']:.2f}"
                view["currency"] = info.get("currency")
        elif entry.get("type") == "personal":
            personal = entry.get("personal", {})
            view["firstName"] = personal.get("firstname")
            view["lastName"] = personal.get("lastname")
    return view


PROFILE = Profile(
    name="liveperson",
    algorithms=("RS256",),
    typ="JWT",
    required_claims=("iss", "sub", "aud", "iat", "exp"),
    audience_mode="contains",
    claim_checks=(lp_sdes_shape,),
    certified_view=certified_view,
)
