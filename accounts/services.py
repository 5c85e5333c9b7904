"""Writes of the accounts app: customers, login throttling, MFA verification and enrollment."""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts import assurance, conf, otp_secrets
from accounts.models import AccountTier, AuthenticatorDevice, Customer, Membership, User
from brands import encryption
from brands.errors import KeyDecryptionFailed
from brands.models import Brand
from config import throttling
from config.errors import DomainError


class AccountsError(DomainError):
    """Bad input to an accounts service. ``code`` names what was wrong."""


class LoginThrottled(DomainError):
    """Too many attempts from this username, user or address; ``retry_after`` in seconds."""

    code = "login_throttled"
    http_status = 429

    def __init__(self, retry_after: int, *, code: str | None = None):
        super().__init__(f"Too many attempts. {throttling.wait_text(retry_after)}", code=code)
        self.retry_after = retry_after


# --- customers -----------------------------------------------------------------------------


def _parse_balance(value: str | Decimal) -> Decimal:
    try:
        balance = Decimal(str(value))
    except InvalidOperation as exc:
        raise AccountsError(
            f"Balance {value!r} is not a decimal number.", code="bad_balance"
        ) from exc
    if not balance.is_finite() or balance.as_tuple().exponent < -2 or abs(balance) >= 10**12:
        raise AccountsError(
            f"Balance {value!r} must be a finite amount with at most 2 decimals.",
            code="bad_balance",
        )
    return balance.quantize(Decimal("0.01"))


def customer_create(
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    brand_slugs: list[str],
    tier_code: str | None = None,
    balance: str | Decimal = Decimal("0.00"),
    currency: str = "EUR",
    is_vip: bool | None = None,
    password: str | None = None,
) -> Customer:
    """Create a user and its customer record with brand memberships, all or nothing.

    Without a password the user cannot log in until one is set. ``is_vip=None`` takes the
    tier's default. Raises ``AccountsError`` (codes ``duplicate_username``, ``bad_email``,
    ``unknown_tier``, ``unknown_brand``, ``bad_balance``, ``bad_currency``, ``weak_password``).
    """
    username = username.strip()
    if not username:
        raise AccountsError("A username is required.", code="bad_username")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountsError(f"Username {username!r} is already taken.", code="duplicate_username")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise AccountsError(f"E-mail {email!r} is not valid.", code="bad_email") from exc
    if tier_code:
        tier = AccountTier.objects.filter(code=tier_code).first()
    else:
        tier = AccountTier.objects.filter(is_default=True).first()
    if tier is None:
        known = ", ".join(AccountTier.objects.values_list("code", flat=True)) or "none"
        raise AccountsError(f"Unknown tier {tier_code!r} (known: {known}).", code="unknown_tier")
    brands = list(Brand.objects.filter(slug__in=set(brand_slugs)))
    missing = sorted(set(brand_slugs) - {b.slug for b in brands})
    if missing:
        raise AccountsError(f"Unknown brand(s): {', '.join(missing)}.", code="unknown_brand")
    amount = _parse_balance(balance)
    currency = currency.upper()
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise AccountsError(f"Currency {currency!r} must be a 3-letter code.", code="bad_currency")
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise AccountsError(" ".join(exc.messages), code="weak_password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.save()
        customer = Customer.objects.create(
            user=user,
            tier=tier,
            balance=amount,
            currency=currency,
            is_vip=tier.vip_by_default if is_vip is None else is_vip,
        )
        Membership.objects.bulk_create(Membership(customer=customer, brand=b) for b in brands)
    return customer


# --- login throttling ----------------------------------------------------------------------
#
# Every way into an account (the portal's password step, its second step, and through them
# the admin and the OIDC authorize endpoint, which both send people to the portal login)
# reserves an attempt in config.throttling before any secret is checked. See that module
# for why the reservation is atomic.


def _window() -> int:
    return int(conf.get("LOGIN_THROTTLE_WINDOW").total_seconds())


def _username_key(username: str) -> str:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:user:{name}"


def _address_bucket(address: str) -> throttling.Bucket:
    return throttling.Bucket(
        key=f"login-fail:addr:{address}",
        limit=conf.get("LOGIN_FAILURES_PER_ADDRESS"),
        window=_window(),
    )


def _username_bucket(username: str) -> throttling.Bucket:
    return throttling.Bucket(
        key=_username_key(username),
        limit=conf.get("LOGIN_FAILURES_PER_USERNAME"),
        window=_window(),
    )


def _mfa_bucket(user: User) -> throttling.Bucket:
    return throttling.Bucket(
        key=f"login-fail:mfa:{user.pk}", limit=conf.get("MFA_FAILURES_PER_USER"), window=_window()
    )


def login_authenticate(*, request, username: str, password: str, address: str) -> User:
    """The password step: the user whose password this is, or a domain error.

    At most ``ACCOUNTS_LOGIN_FAILURES_PER_USERNAME`` passwords per username and
    ``ACCOUNTS_LOGIN_FAILURES_PER_ADDRESS`` per client address are checked per
    ``ACCOUNTS_LOGIN_THROTTLE_WINDOW``, however many requests run in parallel. Unknown
    usernames are counted the same way, so the throttle tells nothing about which accounts
    exist. A correct password clears the username's count and gives the address its attempt
    back. Raises ``LoginThrottled`` (429 ``login_throttled``, with the wait) or
    ``AccountsError`` ``invalid_credentials``.
    """
    buckets = [_username_bucket(username), _address_bucket(address)]
    try:
        throttling.reserve(buckets)
    except throttling.Throttled as exc:
        raise LoginThrottled(exc.retry_after) from exc
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise AccountsError("Invalid username or password.", code="invalid_credentials")
    throttling.reset(buckets[:1])
    throttling.release(buckets[1:])
    return user


# --- MFA -----------------------------------------------------------------------------------


def mfa_verify(*, user: User, code: str, address: str = ""):
    """Check a TOTP code or a backup code against the user's confirmed devices.

    The attempt is first reserved in the same throttle as the password step (per user,
    ``ACCOUNTS_MFA_FAILURES_PER_USER``, and per client address), so codes cannot be guessed
    in parallel either. Six digits are then tried against TOTP devices, anything else
    against backup codes; each check goes through django-otp's ``verify_token``, which
    locks the device row, refuses a reused TOTP step and adds its own exponential delay.
    Returns the device that accepted the code. Raises ``LoginThrottled`` (code
    ``mfa_throttled``, saying how long to wait) or ``AccountsError`` ``invalid_code``.
    """
    buckets = [_mfa_bucket(user)] + ([_address_bucket(address)] if address else [])
    try:
        throttling.reserve(buckets)
    except throttling.Throttled as exc:
        raise LoginThrottled(exc.retry_after, code="mfa_throttled") from exc
    code = "".join(code.split())
    is_totp = len(code) == 6 and code.isdigit()
    model = AuthenticatorDevice if is_totp else StaticDevice
    devices = list(model.objects.filter(user=user, confirmed=True))
    wait = 0
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed:
            locked_until = (info or {}).get("locked_until")
            seconds = (locked_until - timezone.now()).total_seconds() if locked_until else 1
            wait = max(wait, math.ceil(seconds))
            continue
        candidate = code if is_totp else otp_secrets.backup_code_digest(code, device_id=device.pk)
        verified = verify_token(user, device.persistent_id, candidate)
        if verified is not None:
            throttling.reset(buckets[:1])
            throttling.release(buckets[1:])
            return verified
    if wait:
        raise LoginThrottled(wait, code="mfa_throttled")
    raise AccountsError("That code is not valid.", code="invalid_code")


def user_has_mfa(user: User) -> bool:
    return bool(user_second_factors(user))


def user_second_factors(user: User) -> list:
    """The user's confirmed second factors: authenticators, backup-code sets and passkeys."""
    from django_otp_webauthn.models import WebAuthnCredential

    return [
        *AuthenticatorDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
        *WebAuthnCredential.objects.filter(user=user, confirmed=True),
    ]


def totp_enrollment_start(*, user: User) -> AuthenticatorDevice:
    """Return the user's pending (unconfirmed) authenticator, creating one if needed."""
    device = AuthenticatorDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = AuthenticatorDevice.objects.create(
            user=user, name="authenticator", confirmed=False
        )
    return device


@dataclass(frozen=True)
class Enrollment:
    device: AuthenticatorDevice
    backup_codes: list[str]


def totp_enrollment_confirm(*, user: User, code: str) -> Enrollment:
    """Confirm the pending authenticator with a code and create fresh backup codes.

    Refused when the user already has a confirmed device: a password alone must never be
    enough to add a second factor. Raises ``AccountsError`` (``already_enrolled``,
    ``invalid_code``).
    """
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if user_has_mfa(user):
            raise AccountsError(
                "Two-step verification is already set up.", code="already_enrolled"
            )
        device = (
            AuthenticatorDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-id")
            .first()
        )
        if device is None or not device.verify_token("".join(code.split())):
            raise AccountsError("That code is not valid.", code="invalid_code")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        AuthenticatorDevice.objects.filter(user=user, confirmed=False).delete()
        backup = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(conf.get("BACKUP_CODE_COUNT"))]
        backup_codes_store(device=backup, codes=codes)
    return Enrollment(device=device, backup_codes=codes)


MFA_AT_SESSION_KEY = assurance.MFA_AT_SESSION_KEY


def second_factor_login(request, device) -> None:
    """Mark the session verified with ``device``, rotate its key and note when and how.

    The time is what OpenID Connect calls ``auth_time``: when the customer last proved the
    second factor; the method (TOTP, backup code, passkey) and its RFC 8176 ``amr`` are kept
    beside it (``accounts.assurance``). Read them back with ``second_factor_time`` and
    ``second_factor_assurance``.
    """
    otp_login(request, device)
    request.session.cycle_key()
    assurance.session_record(request.session, device, timezone.now())


def second_factor_time(session, user) -> datetime:
    """When this session's second factor was proven; the password login time when unknown."""
    value = assurance.from_timestamp(session.get(MFA_AT_SESSION_KEY))
    return value or user.last_login or timezone.now()


def second_factor_assurance(session, user) -> assurance.Assurance | None:
    """How this session's second factor was proven (method, amr, acr, auth_time)."""
    return assurance.session_assurance(session, user, auth_time=second_factor_time(session, user))


def backup_codes_store(*, device: StaticDevice, codes: list[str]) -> None:
    """Add ``codes`` to ``device`` as digests (``accounts.otp_secrets``); never in clear."""
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=otp_secrets.backup_code_digest(c, device_id=device.pk))
        for c in codes
    )


def backup_code_add(*, user: User) -> str:
    """Create one more backup code for ``user`` (e.g. the first staff user) and return it.

    The code is shown once; only its digest is stored. Replaces django-otp's
    ``addstatictoken``, which would store the code in clear (and which the portal, comparing
    digests, would not accept).
    """
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
        code = StaticToken.random_token()
        backup_codes_store(device=device, codes=[code])
    return code


@dataclass(frozen=True)
class OtpReencryption:
    resealed: int
    failed: list[int]


def otp_secrets_reencrypt() -> OtpReencryption:
    """Seal every TOTP seed again under the first ``KEY_ENCRYPTION_KEYS`` entry.

    Seeds still in django-otp's hex form are sealed too. Each row is locked while it is
    rewritten, so a concurrent ``verify_token`` (which saves ``last_t``) cannot be lost.
    Seeds that open under no configured key are left as they are and listed in ``failed``
    (device ids): the device stops working until an old key is configured again.
    """
    resealed, failed = 0, []
    for device_id in AuthenticatorDevice.objects.order_by("id").values_list("id", flat=True):
        with transaction.atomic():
            device = AuthenticatorDevice.objects.select_for_update().filter(pk=device_id).first()
            if device is None:
                continue
            try:
                seed = device.bin_key
            except (KeyDecryptionFailed, ValueError):
                failed.append(device_id)
                continue
            sealed = encryption.seal(seed, context=otp_secrets.seed_context(device.user_id))
            AuthenticatorDevice.objects.filter(pk=device_id).update(key=sealed)
            resealed += 1
    return OtpReencryption(resealed=resealed, failed=failed)
