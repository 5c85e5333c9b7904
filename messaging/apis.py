"""The token API, the auth-code API, the certified-attributes API and the setup document."""

from django.conf import settings
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts.permissions import IsVerifiedUser
from accounts.selectors import customer_for_user
from accounts.services import second_factor_assurance, second_factor_time
from brands import keyset
from brands.errors import UnknownBrand
from brands.models import ATTRIBUTE_API_PLATFORMS
from brands.selectors import brand_get, messenger_get
from config import fastpath, throttling
from config.errors import DomainError
from config.security import client_address
from messaging import beacon_api, profiles, readcache, selectors, services
from messaging import conf as messaging_conf
from messaging.oidc import clients as oidc_clients
from messaging.oidc import services as oidc
from messaging.oidc.clients import basic_credentials
from messaging.oidc.errors import OAuthError


class _ConfiguredRateThrottle(beacon_api.MessagingRateThrottle):
    """A messaging throttle whose refusals are recorded as ``throttled`` events."""

    def allow_request(self, request, view):
        return super().allow_request(request, view) or beacon_api.throttled_record(
            request, self.scope
        )


class TokenThrottle(BaseThrottle):
    """The token and auth-code APIs' two throttles, per client address
    (``MESSAGING_TOKEN_RATE_PER_ADDRESS``) and per customer (``..._PER_CUSTOMER``), taken in
    one atomic reservation (one Redis round trip): both or neither. A refusal (429) writes
    nothing to the database: no audit row, no event, so a client hammering the endpoint
    cannot turn each refused request into an INSERT; the access log shows the 429s
    (docs/decisions/throttled-requests-unrecorded.md).

    A view may name shared-cache keys it will read next (``throttle_reads()``, the token
    API's versions): they are read in the same round trip and kept for the rest of the
    request (``config.fastpath.read_ahead_keep``), so the throttles and those reads cost one
    round trip together."""

    scopes = (
        ("token-address", "TOKEN_RATE_PER_ADDRESS", lambda request: client_address(request)),
        ("token-customer", "TOKEN_RATE_PER_CUSTOMER", lambda request: str(request.user.pk)),
    )

    def allow_request(self, request, view) -> bool:
        self._wait = None
        buckets = []
        for scope, setting, ident in self.scopes:
            rate = messaging_conf.get(setting)
            if rate is None:
                continue
            limit, window = throttling.parse_rate(rate)
            buckets.append(
                throttling.Bucket(
                    key=f"throttle:{scope}:{ident(request)}", limit=limit, window=window
                )
            )
        reads = view.throttle_reads() if hasattr(view, "throttle_reads") else []
        waits = []
        if buckets or reads:
            waits, found = throttling.reserve_and_read(buckets, reads)
            if reads:
                fastpath.read_ahead_keep(found)
        refused = [i for i, wait in enumerate(waits) if wait > 0]
        if not refused:
            return True
        self._wait = max(waits)
        return False

    def wait(self) -> int | None:
        return self._wait


@extend_schema_serializer(component_name="MessengerRequest")
class MessengerInput(serializers.Serializer):
    """The body of the token and auth-code APIs: which messenger the customer chats on."""

    messenger = serializers.SlugField(max_length=50)


def messenger_slug(request) -> str:
    """The body's ``messenger``, validated by ``MessengerInput`` (400 ``invalid_request``)."""
    serializer = MessengerInput(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["messenger"]


def _customer_and_messenger(request):
    """The verified customer and the messenger they asked for (404/403 domain errors)."""
    customer = customer_for_user(request.user)
    messenger = selectors.messenger_for_customer(slug=messenger_slug(request), customer=customer)
    return customer, messenger


@method_decorator(never_cache, name="dispatch")
class TokenIssueApi(APIView):
    """Issue a fresh token for the logged-in, MFA-verified customer on one messenger.

    Every answer, errors included, carries ``never_cache``'s headers. The versions the token
    work reads (``throttle_reads``) come with the throttles' round trip, for this request
    only (``config.fastpath.cache_read_ahead``)."""

    permission_classes = [IsVerifiedUser]
    throttle_classes = [TokenThrottle]

    InputSerializer = MessengerInput

    @staticmethod
    def throttle_reads() -> list[str]:
        """Read with the throttles (``TokenThrottle``): the versions that say whether this
        process's copies of the messenger and of the brand's keys are current."""
        return (readcache.version_keys() if readcache.enabled() else []) + keyset.version_keys()

    @extend_schema_serializer(component_name="TokenIssueOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        token_type = serializers.CharField(default="JWT")
        expires_at = serializers.DateTimeField()
        expires_in = serializers.IntegerField()
        brand = serializers.CharField()
        messenger = serializers.CharField()
        kid = serializers.CharField()

    def dispatch(self, request, *args, **kwargs):
        with fastpath.cache_read_ahead():
            return super().dispatch(request, *args, **kwargs)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        customer, messenger = selectors.chat_party(slug=messenger_slug(request), user=request.user)
        issued = services.token_issue(
            customer=customer,
            messenger=messenger,
            client_address=client_address(request),
            user_agent=request.headers.get("User-Agent", ""),
            assurance=second_factor_assurance(request.session, request.user),
            session_expires_at=request.session.get_expiry_date(),
        )
        return Response(self.OutputSerializer(issued).data)

    def handle_exception(self, exc):
        beacon_api.refusal_record(self.request, exc)  # why no token: for the report
        return super().handle_exception(exc)


@method_decorator(never_cache, name="dispatch")
class AuthCodeIssueApi(APIView):
    """A fresh one-time OpenID Connect code for Genesys's AuthProvider plugin (``getAuthCode``).

    Same checks and throttles as the token API (session, CSRF, verified second factor, brand
    membership). The answer is exactly what ``getAuthCode`` resolves with, ``iss`` included
    (RFC 9207; the discovery document announces
    ``authorization_response_iss_parameter_supported``).
    """

    permission_classes = [IsVerifiedUser]
    throttle_classes = [TokenThrottle]

    InputSerializer = MessengerInput

    @extend_schema_serializer(component_name="AuthCodeIssueOutput")
    class OutputSerializer(serializers.Serializer):
        authCode = serializers.CharField(source="code")
        redirectUri = serializers.CharField(source="redirect_uri")
        nonce = serializers.CharField()
        codeVerifier = serializers.CharField(source="code_verifier", required=False)
        iss = serializers.CharField(
            source="issuer", help_text="The brand's issuer (RFC 9207), for getAuthCode's iss."
        )

        def to_representation(self, instance):
            data = super().to_representation(instance)
            if not instance.code_verifier:
                data.pop("codeVerifier", None)
            return data

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        customer, messenger = _customer_and_messenger(request)
        try:
            issued = oidc.auth_code_issue(
                customer=customer,
                messenger=messenger,
                auth_time=second_factor_time(request.session, request.user),
                assurance=second_factor_assurance(request.session, request.user),
                client_address=client_address(request),
                session_key=request.session.session_key,
                session_expires_at=request.session.get_expiry_date(),
            )
        except oidc.OidcError as exc:
            raise DomainError(str(exc), code="not_an_oidc_client") from exc
        response = Response(self.OutputSerializer(issued).data)
        response["Cache-Control"] = "no-store"
        return response

    def handle_exception(self, exc):
        beacon_api.refusal_record(self.request, exc)  # why no token: for the report
        return super().handle_exception(exc)


class OidcClient:
    """The authenticated caller of a server-to-server API: one OIDC messenger (client)."""

    is_authenticated = True

    def __init__(self, messenger):
        self.messenger = messenger


class InvalidClient(exceptions.AuthenticationFailed):
    default_detail = "Authenticate with the client id and client secret (HTTP Basic)."
    error_code = "invalid_client"


class ClientBasicAuthentication(BaseAuthentication):
    """HTTP Basic with an OIDC client's id and secret (what a Genesys data action sends).

    Failures are throttled per (client id, address) and counted as a fraud signal
    (``messaging.oidc.clients.client_authenticate``); a right secret is never refused by
    that budget. 401 ``invalid_client``, or 429 ``throttled`` with ``Retry-After``.
    """

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if header[:6].lower() != "basic ":
            return None
        credentials = basic_credentials(header)
        slug = (request.parser_context or {}).get("kwargs", {}).get("brand", "")
        try:
            brand = brand_get(slug=slug)
        except UnknownBrand:
            raise InvalidClient() from None
        try:
            messenger = oidc_clients.client_authenticate(
                brand=brand,
                client_id=credentials[0] if credentials else "",
                secret=credentials[1] if credentials else "",
                address=client_address(request),
                endpoint="attributes",
                platforms=ATTRIBUTE_API_PLATFORMS,
            )
        except OAuthError as exc:
            if exc.status == 429:
                raise exceptions.Throttled(wait=exc.retry_after, detail=exc.description) from None
            raise InvalidClient() from None
        return OidcClient(messenger), None

    def authenticate_header(self, request):
        return 'Basic realm="attributes"'


class ClientBasicScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema documents ``ClientBasicAuthentication``."""

    target_class = ClientBasicAuthentication
    name = "oidcClientBasic"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "A Genesys messenger's OpenID Connect client id and client secret.",
        }


class IsOidcClient(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, OidcClient):
            raise InvalidClient()
        return True


class AttributesPerClientThrottle(_ConfiguredRateThrottle):
    scope = "attributes-client"
    setting = "OIDC_RATE_PER_CLIENT"

    def get_cache_key(self, request, view):
        return str(request.user.messenger.pk)


class CustomerAttributesApi(APIView):
    """A customer's certified attributes, for the brand's Genesys clients (server to server).

    ``GET /api/v1/brands/<brand>/customers/<sub>/attributes`` with HTTP Basic
    ``client_id:client_secret`` of one of that brand's Genesys messengers. Answers only the
    attributes that messenger selects; 404 ``unknown_customer`` for anyone who is not a
    customer of that brand; every call is audited.
    """

    authentication_classes = [ClientBasicAuthentication]
    permission_classes = [IsOidcClient]
    throttle_classes = [AttributesPerClientThrottle]

    @extend_schema_serializer(component_name="CustomerAttributes")
    class OutputSerializer(serializers.Serializer):
        sub = serializers.CharField()
        firstName = serializers.CharField(required=False)
        lastName = serializers.CharField(required=False)
        accountTier = serializers.CharField(required=False)
        isVip = serializers.BooleanField(required=False)
        accountBalance = serializers.CharField(required=False)
        currency = serializers.CharField(required=False)
        authTime = serializers.IntegerField(required=False)
        amr = serializers.ListField(child=serializers.CharField(), required=False)
        acr = serializers.CharField(required=False)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, brand: str, subject: str):
        messenger = request.user.messenger
        if messenger.brand.slug != brand:
            raise InvalidClient("These client credentials are not valid for this brand.")
        attributes = oidc.attributes_lookup(
            messenger=messenger, subject=subject, client_address=client_address(request)
        )
        response = Response(attributes)
        response["Cache-Control"] = "no-store"
        return response


class MessengerSetupApi(APIView):
    """What a platform must be given for this messenger: public information only.

    Open on purpose (a vendor, or the sandbox, reads it like a discovery document).
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema_serializer(component_name="MessengerSetup")
    class OutputSerializer(serializers.Serializer):
        messenger = serializers.CharField(source="slug")
        brand = serializers.CharField(source="brand.slug")
        platform = serializers.CharField()
        issuer = serializers.CharField(source="brand.issuer_url")
        audience = serializers.CharField()
        jwks_uri = serializers.CharField(source="jwks_url")
        key_format = serializers.SerializerMethodField(
            help_text="How the vendor reads the keys: `jwks`, or its own format at "
            "`public_key_url` (Dynamics 365: `pem-or-kid-array`)."
        )
        public_key_url = serializers.SerializerMethodField(
            help_text="The keys in the vendor's own format, when `key_format` is not `jwks`."
        )
        algorithms = serializers.SerializerMethodField()
        token_type = serializers.SerializerMethodField()
        token_lifetime = serializers.SerializerMethodField()
        discovery_uri = serializers.CharField(source="brand.discovery_url")
        brand_name = serializers.CharField(
            source="brand.name", help_text="What the chat window's header shows."
        )
        brand_color = serializers.CharField(
            source="brand.primary_color",
            help_text="The brand's colour (#RRGGBB, AA contrast on white), or empty.",
        )
        attributes_url = serializers.SerializerMethodField(
            help_text="OpenID Connect clients: the certified-attributes API, `{sub}` to fill in."
        )

        def get_attributes_url(self, obj) -> str | None:
            if not obj.has_client_credentials:
                return None
            path = reverse("messaging:customer-attributes", args=[obj.brand.slug, "SUB"])
            return settings.PUBLIC_BASE_URL + path.replace("SUB", "{sub}")

        def get_key_format(self, obj) -> str:
            return profiles.get(obj.platform).key_format

        def get_public_key_url(self, obj) -> str | None:
            if profiles.get(obj.platform).key_format == "jwks":
                return None
            return obj.public_key_url

        def get_algorithms(self, obj) -> list[str]:
            return [obj.algorithm or profiles.get(obj.platform).algorithms[0]]

        def get_token_type(self, obj) -> str:
            if obj.is_oidc_client:
                return "JWT"  # the id_token of messaging.oidc
            return profiles.get(obj.platform).typ

        def get_token_lifetime(self, obj) -> int:
            return int(obj.token_ttl.total_seconds())

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, slug: str):
        messenger = messenger_get(slug=slug)
        response = Response(self.OutputSerializer(messenger).data)
        response["Cache-Control"] = "public, max-age=60"
        response["Access-Control-Allow-Origin"] = "*"
        return response
