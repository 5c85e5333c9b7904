"""The platform-side verifier: ``Verifier(...).verify(token) -> VerificationResult``.

Order of checks: size and strict format; header (alg, crit, b64, kid); algorithm allow-list;
key by ``kid`` (JWKS, one refetch per cooldown); the key's one algorithm; signature; ``typ``;
claims JSON; registered claims; replay. The first failure is the reason. No exception
escapes ``verify()``: an unexpected one is logged and reported as ``malformed``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from .. import conf
from .claims import check_claims
from .encoding import DecodeError, strict_json_object
from .jwks import JWKSUnavailable, get_jwks_client
from .jws import (
    ParsedJWS,
    check_algorithm,
    check_signature,
    check_signature_present,
    parse_compact,
)
from .keys import ALGORITHMS, KeySet, VerificationKey
from .profiles import Profile, get_profile
from .reasons import Reason, Rejected
from .replay import CacheReplayStore

log = logging.getLogger("sandbox.verifier")


class KeyProvider(Protocol):
    def get_key(self, kid: str | None) -> VerificationKey | None: ...


class StaticKeys:
    """A fixed, trusted key set (a configured shared secret, tests, known-answer vectors)."""

    def __init__(self, keyset: KeySet):
        self.keyset = keyset

    def get_key(self, kid: str | None) -> VerificationKey | None:
        return self.keyset.get(kid)


@dataclass
class VerificationResult:
    valid: bool
    reason: str | None = None
    claims: dict = field(default_factory=dict)
    header: dict = field(default_factory=dict)
    kid: str | None = None
    detail: str = ""
    # The JWS payload bytes once the signature verified (for non-JWT known-answer tests).
    payload: bytes | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        data: dict = {"valid": self.valid}
        if self.valid:
            data["claims"] = self.claims
        else:
            data["reason"] = self.reason
        data.update(header=self.header, kid=self.kid, detail=self.detail)
        return data


class Verifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: KeyProvider | None = None,
        jwks_url: str | None = None,
        profile: Profile | str = "generic",
        algorithms: Iterable[str] | None = None,
        typ: str | None = None,
        leeway: float | None = None,
        one_time: bool | None = None,
        max_token_bytes: int | None = None,
        replay_store: CacheReplayStore | None = None,
        clock: Callable[[], float] = time.time,
    ):
        """Raise ValueError on a bad configuration (that is the caller's error, not a token's)."""
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        allowed = self.profile.algorithms
        if algorithms is not None:
            narrowed = tuple(a for a in algorithms if a in allowed)
            if not narrowed:
                raise ValueError("none of the requested algorithms is allowed by the profile")
            allowed = narrowed
        unknown = [a for a in allowed if a not in ALGORITHMS]
        if unknown:
            raise ValueError(f"unknown algorithms {unknown}")
        self.algorithms = allowed
        if keys is None:
            if not jwks_url:
                raise ValueError("a key provider or a JWKS URL is required")
            default_alg = allowed[0] if len(allowed) == 1 else None
            keys = get_jwks_client(jwks_url, default_alg=default_alg)
        self.keys = keys
        if not issuer or not isinstance(issuer, str):
            raise ValueError("issuer is required")
        if not audience or not isinstance(audience, str):
            raise ValueError("audience is required")
        self.issuer = issuer
        self.audience = audience
        self.typ = typ if typ is not None else self.profile.typ
        if leeway is None:
            leeway = self.profile.default_leeway
        if leeway is None:
            leeway = conf.seconds("LEEWAY")
        max_leeway = conf.seconds("MAX_LEEWAY")
        if isinstance(leeway, bool) or not 0 <= float(leeway) <= max_leeway:
            raise ValueError(f"leeway must be between 0 and {max_leeway:g} seconds")
        self.leeway = float(leeway)
        self.one_time = self.profile.one_time if one_time is None else one_time
        self.max_token_bytes = int(
            conf.get("MAX_TOKEN_BYTES") if max_token_bytes is None else max_token_bytes
        )
        self.replay_store = replay_store or CacheReplayStore()
        self.clock = clock

    # --- the JWS layer (also used alone by known-answer tests) ------------------------
    def verify_jws(self, token: object) -> VerificationResult:
        parsed: ParsedJWS | None = None
        try:
            parsed = parse_compact(token, max_bytes=self.max_token_bytes)
            self._check_jws(parsed)
            return VerificationResult(
                True, header=parsed.header, kid=parsed.kid, payload=parsed.payload
            )
        except Rejected as exc:
            return self._rejected(exc, parsed)
        except Exception:
            log.exception("verifier error")
            return self._rejected(Rejected(Reason.MALFORMED, "unverifiable token"), parsed)

    def verify(self, token: object) -> VerificationResult:
        parsed: ParsedJWS | None = None
        try:
            parsed = parse_compact(token, max_bytes=self.max_token_bytes)
            self._check_jws(parsed)
            if parsed.header.get("typ") != self.typ:
                raise Rejected(Reason.WRONG_TYPE, f"'typ' must be {self.typ!r}")
            try:
                claims = strict_json_object(parsed.payload)
            except DecodeError as exc:
                raise Rejected(Reason.MALFORMED, f"claims: {exc}") from None
            check_claims(
                claims,
                profile=self.profile,
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                now=self.clock(),
            )
            for rule in self.profile.claim_checks:
                rule(claims)
            if self.one_time:
                self._check_replay(claims, parsed)
            return VerificationResult(
                True,
                claims=claims,
                header=parsed.header,
                kid=parsed.kid,
                detail="verified",
                payload=parsed.payload,
            )
        except Rejected as exc:
            return self._rejected(exc, parsed)
        except Exception:
            log.exception("verifier error")
            return self._rejected(Rejected(Reason.MALFORMED, "unverifiable token"), parsed)

    def _check_replay(self, claims: dict, parsed: ParsedJWS) -> None:
        if "jti" not in claims and self.profile.jti_optional:
            # the platform issues no jti: the signed bytes themselves are the one-time mark
            claims = {**claims, "jti": "sha256:" + hashlib.sha256(parsed.signature).hexdigest()}
        for name in ("jti", "exp"):
            if name not in claims:
                raise Rejected(Reason.MISSING_CLAIM, f"a one-time token needs '{name}'")
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise Rejected(Reason.INVALID_CLAIM, "'jti' is not a non-empty string")
        issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else ""
        if not self.replay_store.first_use(
            issuer, claims["jti"], float(claims["exp"]), self.leeway
        ):
            raise Rejected(Reason.REPLAYED, "token was already used")

    def _check_jws(self, parsed: ParsedJWS) -> None:
        check_algorithm(parsed, self.algorithms)
        check_signature_present(parsed)
        try:
            key = self.keys.get_key(parsed.kid)
        except JWKSUnavailable as exc:
            raise Rejected(Reason.JWKS_UNAVAILABLE, f"no key set: {exc}") from None
        if key is None:
            raise Rejected(Reason.UNKNOWN_KEY, "no usable key with this 'kid'")
        self._check_certificate(key)
        check_signature(parsed, key)

    def _check_certificate(self, key: VerificationKey) -> None:
        """Salesforce-style: the key's x5c must remain valid for the profile's minimum."""
        minimum = self.profile.x5c_min_validity
        if minimum is None:
            return
        if key.x5c_not_after is None:
            why = key.x5c_problem or "the key has no 'x5c' certificate"
            raise Rejected(Reason.UNKNOWN_KEY, f"unusable key: {why}")
        remaining = key.x5c_not_after - self.clock()
        if remaining < minimum:
            raise Rejected(
                Reason.UNKNOWN_KEY,
                f"unusable key: its 'x5c' certificate is valid for {max(remaining, 0) / 86400:.1f}"
                f" more days, fewer than {minimum / 86400:g}",
            )

    @staticmethod
    def _rejected(exc: Rejected, parsed: ParsedJWS | None) -> VerificationResult:
        header = parsed.header if parsed else {}
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        return VerificationResult(
            False, reason=exc.reason.value, header=header, kid=kid, detail=exc.detail
        )


def verify(token: object, **options) -> VerificationResult:
    """One-shot: ``verify(token, issuer=..., audience=..., jwks_url=... | keys=...)``.

    A bad configuration is reported as ``ValueError`` before any token is looked at; the
    token itself never raises.
    """
    return Verifier(**options).verify(token)
