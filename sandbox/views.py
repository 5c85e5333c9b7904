"""HTML pages: the chat window (framed by the portal's widget glue) and the agent console."""

from __future__ import annotations

import functools
from itertools import chain
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from config.security import build_policy

from .models import Conversation, Rejection
from .platform import PlatformError, resolve_messenger
from .services import post_message

QUEUE_SIZE = 50


@require_GET
@xframe_options_sameorigin
def chat_window(request: HttpRequest) -> HttpResponse:
    """GET /sandbox/chat/?messenger=<slug>: the sandbox chat window, framed same-origin."""
    messenger = request.GET.get("messenger", "")[:100]
    try:  # the header wears the brand's name and colour from the messenger's public setup
        config = resolve_messenger(messenger)
    except PlatformError:
        config = None  # a neutral header; opening the session reports the problem
    context = {
        "messenger": messenger,
        "brand_name": (config.brand_name if config else "") or "Support",
        "brand_color": config.brand_color if config else "",
    }
    response = render(request, "sandbox/chat.html", context)
    response["Content-Security-Policy"] = build_policy({"frame-ancestors": ["'self'"]})
    response["Cache-Control"] = "no-store"
    return response


def verified_staff_required(view):
    """Staff whose session holds a verified OTP device; others go to the admin login."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_staff and user.is_verified()):
            return redirect(f"/admin/login/?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@verified_staff_required
def console(request: HttpRequest) -> HttpResponse:
    """GET /sandbox/console/: the queue, newest first: conversations and rejected tokens."""
    conversations = Conversation.objects.all()[:QUEUE_SIZE]
    rejections = Rejection.objects.all()[:QUEUE_SIZE]
    queue = sorted(
        chain(
            ({"kind": "verified", "item": c, "at": c.created_at} for c in conversations),
            ({"kind": "rejected", "item": r, "at": r.created_at} for r in rejections),
        ),
        key=lambda entry: entry["at"],
        reverse=True,
    )[:QUEUE_SIZE]
    response = render(request, "sandbox/console.html", {"queue": queue})
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@verified_staff_required
def console_conversation(request: HttpRequest, conversation_id) -> HttpResponse:
    """GET/POST /sandbox/console/conversations/<id>/: details, messages, agent reply form."""
    conversation = get_object_or_404(Conversation, pk=conversation_id)
    if request.method == "POST":
        user = request.user
        try:
            post_message(
                conversation,
                sender="agent",
                body=request.POST.get("body", ""),
                agent_name=user.get_full_name() or user.get_username(),
            )
        except ValueError as exc:
            flash.error(request, str(exc))
        return redirect("sandbox:console-conversation", conversation_id=conversation.pk)
    response = render(
        request,
        "sandbox/conversation.html",
        {"conversation": conversation, "chat_messages": conversation.messages.all()},
    )
    response["Cache-Control"] = "no-store"
    return response
