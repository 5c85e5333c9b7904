"""``manage.py verify_token TOKEN (--messenger SLUG | --jwks-url URL --audience AUD --issuer ISS)``

Verifies a token exactly as the sandbox platform does and prints ONE JSON object on stdout:
exit 0 with the claims when valid, 1 with ``reason`` when not, 2 on bad arguments.
``TOKEN`` may be ``-`` to read it from standard input (keeps it out of shell history).

A token whose ``aud`` names another audience (a token of another messenger, usually) is
reported as ``wrong_audience`` first, naming both audiences: the verifier itself checks the
algorithm and signature before any claim (RFC 8725), so it would report the other messenger's
algorithm or key instead, which hides the cause. This diagnosis only ever refuses earlier; it
never accepts what the verifier would refuse.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from sandbox import conf
from sandbox.fetch import check_url
from sandbox.platform import PlatformUnavailable, UnknownMessenger, resolve_messenger
from sandbox.verifier import PROFILES, Verifier
from sandbox.verifier.encoding import DecodeError, strict_json_object
from sandbox.verifier.jws import parse_compact
from sandbox.verifier.reasons import Reason, Rejected


class Command(BaseCommand):
    help = "Verify a JWT as the sandbox platform does; prints one JSON object."

    def add_arguments(self, parser):
        parser.add_argument("token", help="the compact JWT, or - to read it from stdin")
        parser.add_argument("--messenger", help="messenger slug (public setup from the portal)")
        parser.add_argument("--jwks-url", help="JWKS URL (with --audience and --issuer)")
        parser.add_argument("--audience", help="our audience")
        parser.add_argument("--issuer", help="the expected issuer")
        parser.add_argument(
            "--profile",
            default=None,
            help=f"verification profile: {', '.join(sorted(PROFILES))} (default: the "
            "messenger's platform, or generic; shared-secret platforms need --messenger)",
        )
        parser.add_argument("--typ", default=None, help="exact typ header (default JWT)")
        parser.add_argument("--leeway", type=float, default=None, help="seconds, 0 to 300")

    def handle(self, *args, **opts):
        token = opts["token"]
        if token == "-":
            token = sys.stdin.readline().strip()
        manual = [opts["jwks_url"], opts["audience"], opts["issuer"]]
        if opts["messenger"] and any(manual):
            raise self._bad("use either --messenger or --jwks-url/--audience/--issuer, not both")
        if opts["profile"] is not None and opts["profile"] not in PROFILES:
            raise self._bad(f"unknown profile {opts['profile']!r}; known: {sorted(PROFILES)}")
        leeway = opts["leeway"]
        if leeway is not None and not 0 <= leeway <= conf.seconds("MAX_LEEWAY"):
            raise self._bad(
                f"--leeway must be between 0 and {conf.seconds('MAX_LEEWAY'):g} seconds"
            )
        overrides = {"typ": opts["typ"], "leeway": leeway}
        if opts["messenger"]:
            try:
                config = resolve_messenger(opts["messenger"])
                verifier = config.verifier(profile=opts["profile"], **overrides)
            except UnknownMessenger as exc:
                raise self._bad(str(exc)) from None
            except PlatformUnavailable as exc:
                return self._emit(
                    {"valid": False, "reason": "jwks_unavailable", "detail": str(exc)}, 1
                )
        elif all(manual):
            try:
                check_url(opts["jwks_url"])
                verifier = Verifier(
                    issuer=opts["issuer"],
                    audience=opts["audience"],
                    jwks_url=opts["jwks_url"],
                    profile=opts["profile"] or "generic",
                    **{k: v for k, v in overrides.items() if v is not None},
                )
            except ValueError as exc:
                raise self._bad(str(exc)) from None
        else:
            raise self._bad("give --messenger SLUG, or --jwks-url, --audience and --issuer")
        mismatch = _other_audience(token, verifier)
        if mismatch is not None:
            return self._emit(mismatch, 1)
        result = verifier.verify(token)
        return self._emit(result.as_dict(), 0 if result.valid else 1)

    def _bad(self, message: str) -> CommandError:
        """Exit 2; stdout still carries one JSON object for scripts."""
        self.stdout.write(
            json.dumps({"valid": False, "error": "bad_arguments", "detail": message})
        )
        return CommandError(message, returncode=2)

    def _emit(self, data: dict, code: int):
        self.stdout.write(json.dumps(data, sort_keys=True, default=str))
        if code:
            raise SystemExit(code)


def _other_audience(token: str, verifier: Verifier) -> dict | None:
    """The ``wrong_audience`` answer when the (unverified) ``aud`` does not name ours, else None.

    Anything unreadable is left to the verifier, which gives its own reason.
    """
    try:
        parsed = parse_compact(token, max_bytes=verifier.max_token_bytes)
        claims = strict_json_object(parsed.payload)
    except (Rejected, DecodeError):
        return None
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        return None
    if not audiences or verifier.audience in audiences:
        return None
    theirs = ", ".join(repr(a[:200]) for a in audiences[:5])
    return {
        "valid": False,
        "reason": Reason.WRONG_AUDIENCE.value,
        "detail": (
            f"the token is for audience {theirs}, not {verifier.audience!r}: a token of "
            "another messenger? (checked before the algorithm and signature)"
        ),
        "header": parsed.header,
        "kid": parsed.kid,
    }
