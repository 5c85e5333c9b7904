"""Step-up endpoints of the sandbox platform (sandbox/stepup.py).

- ``GET  /sandbox/api/conversations/<id>/assurance``: the current assurance and any pending
  step-up request; the customer (``X-Conversation-Secret``) or a verified staff session.
- ``POST /sandbox/api/conversations/<id>/assurance``: the customer's chat window hands over a
  fresh token ``{"token"}`` (or Genesys ``{"auth_code"}``); 200 with the new assurance, or 400
  ``{"error": "rejected", "reason"}`` with the verifier's reason code.
- ``POST /sandbox/console/conversations/<id>/stepup``: an agent asks for a step-up.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import SECRET_HEADER, StaffSessionUnlessSecret, _conversation_or_404, _error
from .stepup import assurance_refresh, assurance_view, stepup_request
from .views import verified_staff_required


def _party(request, conversation) -> str:
    secret = request.headers.get(SECRET_HEADER)
    if secret is not None:
        if conversation.check_secret(secret):
            return "customer"
        raise PermissionDenied("conversation secret does not match")
    user = request.user
    verified = getattr(user, "is_verified", None)
    if user is not None and user.is_staff and callable(verified) and verified():
        return "agent"
    raise PermissionDenied("conversation secret or a verified staff session required")


class AssuranceView(APIView):
    authentication_classes = [StaffSessionUnlessSecret]
    permission_classes = [AllowAny]

    def get(self, request, conversation_id):
        conversation = _conversation_or_404(conversation_id)
        _party(request, conversation)
        response = Response(assurance_view(conversation))
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request, conversation_id):
        conversation = _conversation_or_404(conversation_id)
        if _party(request, conversation) != "customer":
            raise PermissionDenied("only the customer's chat window hands over tokens")
        data = request.data if isinstance(request.data, dict) else {}
        refresh = assurance_refresh(
            conversation=conversation, token=data.get("token"), auth_code=data.get("auth_code")
        )
        if not refresh.result.valid:
            return _error(
                "rejected",
                refresh.result.detail or "the token was refused",
                400,
                reason=refresh.result.reason,
            )
        response = Response(assurance_view(refresh.conversation))
        response["Cache-Control"] = "no-store"
        return response


@require_POST
@verified_staff_required
def console_stepup(request, conversation_id):
    """The agent's "Ask to verify again" button (CSRF-checked form or fetch)."""
    conversation = _conversation_or_404(conversation_id)
    conversation = stepup_request(conversation=conversation)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(assurance_view(conversation))
    return redirect("sandbox:console-conversation", conversation_id=conversation.pk)
