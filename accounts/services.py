"""Writes of the accounts app: customers, login throttling, MFA verification and enrollment."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import conf
from accounts.models import AccountTier, Customer, Membership, User
from brands.models import Brand
from config.errors import DomainError


class AccountsError(DomainError):
    """Bad input to an accounts service. ``code`` names what was wrong."""


class LoginThrottled(DomainError):
    code = "login_throttled"
    http_status = 429

    def __init__(self, retry_after: int):
        super().__init__(f"Too many attempts. Try again in {max(1, retry_after // 60)} minute(s).")
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


def _username_key(username: str) -> str:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login-fail:user:{name}"


def _bucket_keys(username: str, address: str) -> list[tuple[str, int]]:
    return [
        (_username_key(username), conf.get("LOGIN_FAILURES_PER_USERNAME")),
        (f"login-fail:addr:{address}", conf.get("LOGIN_FAILURES_PER_ADDRESS")),
    ]


def login_throttle_check(*, username: str, address: str) -> None:
    """Raise ``LoginThrottled`` while the username or the address has too many failures.

    Failures are counted in the shared cache for ``ACCOUNTS_LOGIN_THROTTLE_WINDOW`` from the
    first failure, so a throttle always ends on its own: an attacker can slow a customer
    down but never lock them out for good. Unknown usernames are counted the same way so
    the throttle reveals nothing about which accounts exist.
    """
    window = int(conf.get("LOGIN_THROTTLE_WINDOW").total_seconds())
    now = int(timezone.now().timestamp())
    for key, limit in _bucket_keys(username, address):
        entry = cache.get(key)
        if entry and entry["count"] >= limit and now < entry["since"] + window:
            raise LoginThrottled(retry_after=max(1, entry["since"] + window - now))


def login_failure_record(*, username: str, address: str) -> None:
    window = int(conf.get("LOGIN_THROTTLE_WINDOW").total_seconds())
    now = int(timezone.now().timestamp())
    for key, _limit in _bucket_keys(username, address):
        entry = cache.get(key)
        if not entry or now >= entry["since"] + window:
            entry = {"count": 0, "since": now}
        entry["count"] += 1
        cache.set(key, entry, timeout=max(1, entry["since"] + window - now))


def login_success_record(*, username: str) -> None:
    """A correct password clears the username's failures (not the address's)."""
    cache.delete(_username_key(username))


# --- MFA -----------------------------------------------------------------------------------


def mfa_verify(*, user: User, code: str):
    """Check a TOTP code or a backup code against the user's confirmed devices.

    Six digits are tried against TOTP devices, anything else against backup codes; each
    check goes through django-otp's ``verify_token``, which locks the device row, refuses a
    reused TOTP step and throttles failures. Returns the device that accepted the code.
    Raises ``AccountsError`` with code ``invalid_code`` or ``mfa_throttled``.
    """
    code = "".join(code.split())
    model = TOTPDevice if (len(code) == 6 and code.isdigit()) else StaticDevice
    devices = list(model.objects.filter(user=user, confirmed=True))
    throttled = False
    for device in devices:
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    if throttled:
        raise AccountsError(
            "Too many wrong codes. Wait a moment and try again.", code="mfa_throttled"
        )
    raise AccountsError("That code is not valid.", code="invalid_code")


def user_has_mfa(user: User) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or StaticDevice.objects.filter(user=user, confirmed=True).exists()
    )


def totp_enrollment_start(*, user: User) -> TOTPDevice:
    """Return the user's pending (unconfirmed) authenticator, creating one if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@dataclass(frozen=True)
class Enrollment:
    device: TOTPDevice
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
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-id")
            .first()
        )
        if device is None or not device.verify_token("".join(code.split())):
            raise AccountsError("That code is not valid.", code="invalid_code")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        backup = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(conf.get("BACKUP_CODE_COUNT"))]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=c) for c in codes)
    return Enrollment(device=device, backup_codes=codes)


MFA_AT_SESSION_KEY = "accounts_mfa_at"


def second_factor_login(request, device) -> None:
    """Mark the session verified with ``device``, rotate its key and note when (``auth_time``).

    The time is what OpenID Connect calls ``auth_time``: when the customer last proved the
    second factor. Read it back with ``second_factor_time``.
    """
    otp_login(request, device)
    request.session.cycle_key()
    request.session[MFA_AT_SESSION_KEY] = int(timezone.now().timestamp())


def second_factor_time(session, user) -> datetime:
    """When this session's second factor was proven; the password login time when unknown."""
    value = session.get(MFA_AT_SESSION_KEY)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return user.last_login or timezone.now()
