"""The token API and the messenger's public setup document."""

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVerifiedUser
from accounts.selectors import customer_for_user
from brands.selectors import messenger_get
from config.security import client_address
from config.throttling import AtomicRateThrottle
from messaging import conf, profiles, selectors, services


class _ConfiguredRateThrottle(AtomicRateThrottle):
    """An atomic throttle in the shared cache whose rate is read lazily from messaging settings."""

    setting = ""

    def get_rate(self):
        return conf.get(self.setting)


class TokenPerCustomerThrottle(_ConfiguredRateThrottle):
    scope = "token-customer"
    setting = "TOKEN_RATE_PER_CUSTOMER"

    def get_cache_key(self, request, view):
        return str(request.user.pk)


class TokenPerAddressThrottle(_ConfiguredRateThrottle):
    scope = "token-address"
    setting = "TOKEN_RATE_PER_ADDRESS"

    def get_cache_key(self, request, view):
        return client_address(request)


@method_decorator(never_cache, name="dispatch")
class TokenIssueApi(APIView):
    """Issue a fresh token for the logged-in, MFA-verified customer on one messenger."""

    permission_classes = [IsVerifiedUser]
    throttle_classes = [TokenPerAddressThrottle, TokenPerCustomerThrottle]

    @extend_schema_serializer(component_name="TokenIssueInput")
    class InputSerializer(serializers.Serializer):
        messenger = serializers.SlugField(max_length=50)

    @extend_schema_serializer(component_name="TokenIssueOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        token_type = serializers.CharField(default="JWT")
        expires_at = serializers.DateTimeField()
        expires_in = serializers.IntegerField()
        brand = serializers.CharField()
        messenger = serializers.CharField()
        kid = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_for_user(request.user)
        messenger = selectors.messenger_for_customer(
            slug=data.validated_data["messenger"], customer=customer
        )
        issued = services.token_issue(
            customer=customer,
            messenger=messenger,
            client_address=client_address(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        response = Response(self.OutputSerializer(issued).data)
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
        algorithms = serializers.SerializerMethodField()
        token_type = serializers.SerializerMethodField()
        token_lifetime = serializers.SerializerMethodField()

        def get_algorithms(self, obj) -> list[str]:
            return [obj.algorithm or profiles.get(obj.platform).algorithms[0]]

        def get_token_type(self, obj) -> str:
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
