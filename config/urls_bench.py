"""The benchmark's reference views, routed only by ``config.settings_bench``.

``POST /bench/floor``: what every token request pays before the token work starts, and
nothing else: the same middleware, session, CSRF check and verified-second-factor
permission as the token API (the same DRF ``APIView`` machinery), then a constant body.

``GET /bench/constant``: a constant JSON document through the same middleware, with no
session: what the JWKS and discovery documents are compared with.
"""

from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVerifiedUser
from config.urls import urlpatterns as portal_urlpatterns

_CONSTANT = b'{"status":"ok","document":"constant"}'


class FloorApi(APIView):
    """Session + CSRF + verified second factor, then a constant body."""

    permission_classes = [IsVerifiedUser]

    def post(self, request):
        response = Response({"token": "constant", "token_type": "JWT"})
        response["Cache-Control"] = "no-store"
        return response


def constant_json(request):
    response = HttpResponse(_CONSTANT, content_type="application/json")
    response["Cache-Control"] = "public, max-age=300"
    return response


urlpatterns = [
    path("bench/floor", FloorApi.as_view()),
    path("bench/constant", constant_json),
    *portal_urlpatterns,
]
