"""The sandbox platform's public JSON API (what a vendor's chat backend would expose).

Errors are ``{"error", "detail"}``; token rejections add ``reason`` (a verifier reason code).
"""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.security import client_address
from config.throttling import AtomicRateThrottle

from .models import Conversation, Message
from .platform import UnknownMessenger
from .services import identity_view, open_session, post_message, typing_mark, typing_now

SECRET_HEADER = "X-Conversation-Secret"


def _error(code: str, detail: str, http_status: int, **extra) -> Response:
    response = Response({"error": code, "detail": detail, **extra}, status=http_status)
    response["Cache-Control"] = "no-store"
    return response


class SessionThrottle(AtomicRateThrottle):
    scope = "sandbox_sessions"
    rate = "60/min"

    def get_cache_key(self, request, view):
        return client_address(request)


class SessionsView(APIView):
    """POST /sandbox/api/sessions: the platform's public endpoint; the token is the proof."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [SessionThrottle]

    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            return _error("invalid_request", "body must be a JSON object", 400)
        messenger = data.get("messenger")
        if not isinstance(messenger, str) or not messenger:
            return _error("invalid_request", "'messenger' is required", 400)
        try:
            outcome = open_session(
                messenger=messenger,
                token=data.get("token"),
                clicked_at=data.get("clicked_at"),
                page_attributes=data.get("page_attributes"),
                client_address=client_address(request),
                auth_code=data.get("auth_code"),
                resume=data.get("resume"),
            )
        except UnknownMessenger as exc:
            return _error("unknown_messenger", str(exc), 404)
        result = outcome.result
        if not result.valid:
            http_status = 503 if result.reason == "jwks_unavailable" else 401
            return _error("token_rejected", result.detail, http_status, reason=result.reason)
        conversation = outcome.conversation
        response = Response(
            {
                "conversation": str(conversation.pk),
                "secret": outcome.secret,
                "status": conversation.status,
                "identity": identity_view(conversation),
                "token_expires_at": conversation.token_expires_at.isoformat(),
                "gap_ms": conversation.gap_ms,
                "resumed": outcome.resumed,
            },
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response


def _conversation_or_404(conversation_id: str) -> Conversation:
    try:
        uuid.UUID(str(conversation_id))
    except ValueError:
        conversation_id = uuid.UUID(int=0)
    return get_object_or_404(Conversation, pk=conversation_id)


class StaffSessionUnlessSecret(SessionAuthentication):
    """Session authentication (CSRF-checked) unless the caller presents a conversation secret.

    The customer side never relies on cookies, so a portal session cookie riding along
    with the chat window's requests neither helps nor triggers a CSRF failure.
    """

    def authenticate(self, request):
        if request._request.headers.get(SECRET_HEADER) is not None:
            return None
        return super().authenticate(request)


class MessagesView(APIView):
    """GET/POST /sandbox/api/conversations/<id>/messages.

    The customer proves the conversation with the secret returned at creation (header
    ``X-Conversation-Secret``); an agent with a staff session whose OTP device is verified
    (CSRF-checked for POST).
    """

    authentication_classes = [StaffSessionUnlessSecret]
    permission_classes = [AllowAny]

    def _party(self, request, conversation: Conversation) -> tuple[str, str]:
        secret = request.headers.get(SECRET_HEADER)
        if secret is not None:
            if conversation.check_secret(secret):
                return "customer", ""
            raise PermissionDenied("conversation secret does not match")
        user = request.user  # set by SessionAuthentication (CSRF enforced for POST)
        verified = getattr(user, "is_verified", None)
        if user is not None and user.is_staff and callable(verified) and verified():
            return "agent", user.get_full_name() or user.get_username()
        raise PermissionDenied("conversation secret or a verified staff session required")

    def get(self, request, conversation_id):
        conversation = _conversation_or_404(conversation_id)
        self._party(request, conversation)
        after = request.query_params.get("after", "0")
        after = int(after) if after.isdigit() and len(after) < 18 else 0
        messages = Message.objects.filter(conversation=conversation, id__gt=after)[:200]
        response = Response(
            {
                "conversation": str(conversation.pk),
                "status": conversation.status,
                "messages": [m.as_dict() for m in messages],
                "typing": typing_now(conversation),
            }
        )
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request, conversation_id):
        conversation = _conversation_or_404(conversation_id)
        sender, agent_name = self._party(request, conversation)
        body = request.data.get("body") if isinstance(request.data, dict) else None
        try:
            message = post_message(conversation, sender=sender, body=body, agent_name=agent_name)
        except ValueError as exc:
            return _error("invalid_request", str(exc), 400)
        response = Response(message.as_dict(), status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class TypingView(MessagesView):
    """POST /sandbox/api/conversations/<id>/typing: "I am typing" for a few seconds.

    Either party, authorised as for messages; the other side sees it in the ``typing``
    member of the messages it polls. Sent again while typing goes on; it lapses by itself.
    """

    def get(self, request, conversation_id):  # only POST is offered
        return _error("method_not_allowed", "POST only", 405)

    def post(self, request, conversation_id):
        conversation = _conversation_or_404(conversation_id)
        sender, _ = self._party(request, conversation)
        typing_mark(conversation, sender=sender)
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response["Cache-Control"] = "no-store"
        return response
