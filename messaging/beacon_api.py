"""The widget glue's beacon API and the throttle hook that records refusals (report beacons).

``POST /api/v1/messaging/events`` ``{"kind", "messenger", "reason"?}`` -> 204. Same guard as
the token API (session, CSRF, verified second factor, brand membership) and its own
throttles. The body names no customer and no session: both come from the request, so a
beacon cannot add an event to anyone else's trail (``messaging.events``).
"""

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVerifiedUser
from accounts.selectors import customer_for_user
from brands.models import Messenger
from config.errors import DomainError
from config.security import client_address
from config.throttling import AtomicRateThrottle
from messaging import conf, events, selectors


def throttled_record(request, scope: str) -> bool:
    """Record that ``scope`` refused this request (a ``throttled`` event); returns False.

    The messenger is read from the body when it names one, so the refusal counts for its brand.
    """
    user = getattr(request, "user", None)
    customer = customer_for_user(user) if user is not None else None
    slug = request.data.get("messenger") if isinstance(request.data, dict) else None
    messenger = (
        Messenger.objects.filter(slug=slug).first() if isinstance(slug, str) and slug else None
    )
    events.event_record(
        kind=events.Kind.THROTTLED,
        messenger=messenger,
        customer=customer,
        session_key=request._request.session.session_key,
        reason=scope,
        client_address=client_address(request),
    )
    return False


def refusal_record(request, exc) -> None:
    """Record why the token or auth-code API refused to sign (a ``token_refused`` event with
    the error's code), so the report can explain the attempt.

    Only domain errors raised after the throttles let the request through (step-up required,
    not a member, unknown messenger, no signing key, ...), and only for a logged-in session:
    a refusal before the throttles (authentication, permission) or by them (429) writes
    nothing, so no client can turn refused requests into INSERTs faster than its token rate.
    """
    session_key = request._request.session.session_key
    user = getattr(request, "user", None)
    if not isinstance(exc, DomainError) or not session_key or not getattr(user, "pk", None):
        return
    slug = request.data.get("messenger") if isinstance(request.data, dict) else None
    messenger = (
        Messenger.objects.filter(slug=slug).first() if isinstance(slug, str) and slug else None
    )
    events.event_record(
        kind=events.Kind.TOKEN_REFUSED,
        messenger=messenger,
        customer=customer_for_user(user),
        session_key=session_key,
        reason=exc.code,
        client_address=client_address(request),
    )


class MessagingRateThrottle(AtomicRateThrottle):
    """An atomic throttle whose rate is read lazily from the messaging setting ``setting``."""

    setting = ""

    def get_rate(self):
        return conf.get(self.setting)


class BeaconPerCustomerThrottle(MessagingRateThrottle):
    scope = "beacon-customer"
    setting = "BEACON_RATE_PER_CUSTOMER"

    def get_cache_key(self, request, view):
        return str(request.user.pk)


class BeaconPerSessionThrottle(MessagingRateThrottle):
    scope = "beacon-session"
    setting = "BEACON_RATE_PER_SESSION"

    def get_cache_key(self, request, view):
        return events.session_hash(request._request.session.session_key) or None


@method_decorator(never_cache, name="dispatch")
class EventBeaconApi(APIView):
    """Record what the caller's own chat widget saw: a Chat click, a platform's verdict."""

    permission_classes = [IsVerifiedUser]
    throttle_classes = [BeaconPerSessionThrottle, BeaconPerCustomerThrottle]

    @extend_schema_serializer(component_name="EventBeacon")
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=[str(k) for k in events.BEACON_KINDS])
        messenger = serializers.SlugField(max_length=50)
        reason = serializers.CharField(max_length=40, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_for_user(request.user)
        messenger = selectors.messenger_for_customer(
            slug=data.validated_data["messenger"], customer=customer
        )
        events.event_beacon_record(
            kind=data.validated_data["kind"],
            customer=customer,
            messenger=messenger,
            session_key=request._request.session.session_key,
            reason=data.validated_data.get("reason", ""),
            client_address=client_address(request),
        )
        response = Response(status=204)
        response["Cache-Control"] = "no-store"
        return response
