"""Rotation by policy: the planner (``signing_keys_plan``: what is due and why, without doing
it) and the runner (``signing_keys_rotate``)."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.utils import timezone

from brands import conf
from brands.algorithms import ASYMMETRIC, RSA_ALGORITHMS, Algorithm
from brands.errors import BrandsError
from brands.models import Brand, SigningKey
from brands.platforms import PlatformsWhere
from brands.services.key_creation import signing_key_generate
from brands.services.key_lifecycle import (
    purge_retired,
    signing_key_activate,
    signing_key_certificate_renew,
    signing_keys_destroy_revoked,
)
from config.appconf import duration_text

logger = logging.getLogger(__name__)

State = SigningKey.State


class RotationAction(StrEnum):
    """What one step of a rotation plan does."""

    GENERATE = "generate"
    ACTIVATE = "activate"
    PURGE = "purge"
    RENEW_CERTIFICATE = "renew_certificate"


@dataclass
class RotationStep:
    """One step of a rotation plan: ``action`` on ``key`` (none for ``generate``) and, in
    words for staff, ``reason``: why the policy asks for it now.

    ``activate`` (generate only) activates the new key in the same transaction; ``force``
    (generate with activate, and activate) skips the pre-publication wait, which the plan sets
    only when the brand has no usable active key (nothing signs: waiting helps nobody).
    Behaviour depends on these flags, never on the wording of ``reason``.
    """

    brand: Brand
    algorithm: str
    action: RotationAction
    reason: str
    key: SigningKey | None = None
    activate: bool = False
    force: bool = False
    done: bool = False
    result: str = ""
    error: str = ""

    @property
    def target(self) -> str:
        return "new key" if self.action == RotationAction.GENERATE else self.key.kid

    def describe(self) -> str:
        text = f"{self.brand.slug} {self.algorithm}: {self.action} {self.target} ({self.reason})"
        if self.error:
            return f"{text} -> FAILED {self.error}"
        if self.done:
            return f"{text} -> {self.result or 'done'}"
        return text


# Salesforce refuses certificates valid for less than 10 more days: rotate before that.
CERTIFICATE_MIN_REMAINING = timedelta(days=10)


def _managed_algorithms(brand: Brand) -> list[str]:
    algorithms = {Algorithm.RS256.value}
    algorithms |= set(
        brand.signing_keys.filter(state__in=[State.PENDING, State.ACTIVE]).values_list(
            "algorithm", flat=True
        )
    )
    algorithms |= set(brand.messengers.filter(is_active=True).values_list("algorithm", flat=True))
    return sorted(a for a in algorithms if a in ASYMMETRIC)


def _rotation_due(active: SigningKey, *, now: datetime) -> str:
    """Why the usable ``active`` key should be replaced now, or "" when it should not."""
    if active.activated_at is None:
        return "the active key has no activation date"
    if now >= active.activated_at + conf.get("ROTATION_PERIOD"):
        return (
            f"the active key {active.kid} has signed since "
            f"{active.activated_at:%Y-%m-%d %H:%M} UTC, longer than the rotation period "
            f"({duration_text(conf.get('ROTATION_PERIOD'))})"
        )
    if (
        active.certificate_not_after is not None
        and now >= active.certificate_not_after - CERTIFICATE_MIN_REMAINING
    ):
        return (
            f"the certificate of the active key {active.kid} expires "
            f"{active.certificate_not_after:%Y-%m-%d %H:%M} UTC (platforms refuse one with "
            "under 10 days left)"
        )
    return ""


def _publish_next_reason(after: str) -> str:
    return (
        f"{after}: a next key must be published at least the pre-publication period "
        f"({duration_text(conf.get('PREPUBLICATION_PERIOD'))}) before it may sign"
    )


def _key_steps(b: Brand, algorithm: str, *, now: datetime) -> list[RotationStep]:
    """Generate / activate steps for one brand and algorithm."""
    keys = list(b.signing_keys.filter(algorithm=algorithm).order_by("created_at", "id"))
    active = next((k for k in keys if k.state == State.ACTIVE), None)
    pending = next((k for k in keys if k.state == State.PENDING and k.is_usable), None)
    usable_active = active is not None and active.is_usable
    generate = RotationAction.GENERATE
    if pending is None:
        steps = []
        if not usable_active:
            why = "no active key" if active is None else f"the active key {active.kid} is unusable"
            steps.append(
                RotationStep(
                    b,
                    algorithm,
                    generate,
                    f"{why}: nothing signs, so a new key is activated at once",
                    activate=True,
                    force=True,
                )
            )
            after = "the new key signs now"
        else:
            after = "no pending key is published"
        return [*steps, RotationStep(b, algorithm, generate, _publish_next_reason(after))]
    if not usable_active:
        why = "no active key" if active is None else f"the active key {active.kid} is unusable"
        reason = f"{why}: the published next key signs at once"
        force = True
    else:
        reason = _rotation_due(active, now=now)
        ready_at = pending.created_at + conf.get("PREPUBLICATION_PERIOD")
        if not reason or now < ready_at:
            return []
        published = f"{pending.created_at:%Y-%m-%d %H:%M} UTC"
        reason += f"; {pending.kid} has been published since {published}"
        force = False
    return [
        RotationStep(b, algorithm, RotationAction.ACTIVATE, reason, key=pending, force=force),
        RotationStep(
            b, algorithm, generate, _publish_next_reason(f"{pending.kid} becomes active")
        ),
    ]


def signing_keys_plan(
    *, brand: Brand | None = None, now: datetime | None = None
) -> list[RotationStep]:
    """What ``signing_keys_rotate`` would do now, without doing it; each step says why.

    Per active brand and asymmetric algorithm in use (RS256 always): keep one pending "next"
    key published; promote it once it has been published for the pre-publication period and
    the active key has signed for BRANDS_ROTATION_PERIOD (at once when nothing usable is
    active); purge retired keys past BRANDS_RETENTION; renew the certificate (``x5c``) of every
    published key whose certificate has less than BRANDS_CERTIFICATE_RENEWAL left, and certify
    uncertified published RSA keys of brands with an active Salesforce messenger (Salesforce
    refuses a key whose certificate has fewer than 10 days left).
    """
    now = now or timezone.now()
    brands = [brand] if brand else list(Brand.objects.filter(is_active=True).order_by("slug"))
    steps: list[RotationStep] = []
    for b in brands:
        for algorithm in _managed_algorithms(b):
            steps.extend(_key_steps(b, algorithm, now=now))
        purged = set()
        for key in b.signing_keys.filter(
            state=State.RETIRED, retired_at__lte=now - conf.get("RETENTION")
        ).order_by("retired_at", "id"):
            steps.append(
                RotationStep(
                    b,
                    key.algorithm,
                    RotationAction.PURGE,
                    f"retired {key.retired_at:%Y-%m-%d %H:%M} UTC, longer ago than the retention "
                    f"({duration_text(conf.get('RETENTION'))}): its last tokens have expired",
                    key=key,
                )
            )
            purged.add(key.pk)
        steps.extend(_certificate_steps(b, now=now, skip=purged))
    return steps


def _needs_x5c(brand: Brand) -> bool:
    """Brands with an active messenger of a platform that needs certificates (Salesforce
    uploads) must publish x5c on every RSA key."""
    return brand.messengers.filter(
        is_active=True, platform__in=list(PlatformsWhere("x5c_required"))
    ).exists()


def _certificate_steps(brand: Brand, *, now: datetime, skip: set[int]) -> list[RotationStep]:
    """Renew certificates of published keys that expire within BRANDS_CERTIFICATE_RENEWAL;
    certify uncertified published RSA keys of brands that serve Salesforce."""
    steps = []
    horizon = now + conf.get("CERTIFICATE_RENEWAL")
    with_x5c = None
    for key in brand.signing_keys.filter(state__in=list(SigningKey.PUBLISHED_STATES)).order_by(
        "created_at", "id"
    ):
        if key.is_symmetric or key.pk in skip or not key.is_usable:
            continue
        if key.certificate_pem:
            if key.certificate_not_after is not None and key.certificate_not_after <= horizon:
                steps.append(
                    RotationStep(
                        brand,
                        key.algorithm,
                        "renew_certificate",
                        f"certificate expires {key.certificate_not_after:%Y-%m-%d %H:%M} UTC",
                        key=key,
                    )
                )
        elif key.algorithm in RSA_ALGORITHMS:
            if with_x5c is None:
                with_x5c = _needs_x5c(brand)
            if with_x5c:
                steps.append(
                    RotationStep(
                        brand,
                        key.algorithm,
                        "renew_certificate",
                        "no certificate (x5c) and the brand serves Salesforce",
                        key=key,
                    )
                )
    return steps


def signing_keys_rotate(
    *,
    plan: list[RotationStep],
    key_size: int | None = None,
    now: datetime | None = None,
) -> list[RotationStep]:
    """Carry out ``plan`` (from ``signing_keys_plan``); returns its steps with their results.

    Each step is re-checked under the locks by the service it calls (a key activated by hand
    since the plan was made is not retired by a key that was not published long enough). A
    failing step is recorded in its ``error`` and does not stop the others.
    """
    now = now or timezone.now()
    for step in plan:
        try:
            if step.action == RotationAction.GENERATE:
                row = signing_key_generate(
                    brand=step.brand,
                    algorithm=step.algorithm,
                    key_size=key_size if step.algorithm in RSA_ALGORITHMS else None,
                    activate=step.activate,
                    force=step.force,
                    now=now,
                )
                step.key = row
                step.result = f"{row.kid} {row.state}"
            elif step.action == RotationAction.ACTIVATE:
                signing_key_activate(key=step.key, force=step.force, now=now)
                step.result = "active"
            elif step.action == RotationAction.RENEW_CERTIFICATE:
                row = signing_key_certificate_renew(key=step.key, now=now)
                step.result = f"certificate valid until {row.certificate_not_after:%Y-%m-%d}"
            elif step.action == RotationAction.PURGE:
                purged = purge_retired(brand_id=step.brand.pk, now=now, only=step.key)
                step.result = "unpublished" if purged else "no longer due"
            step.done = True
        except BrandsError as exc:
            step.error = f"{exc.code}: {exc.detail}"
            logger.error("Rotation step failed: %s", step.describe())
    signing_keys_destroy_revoked()
    return plan
