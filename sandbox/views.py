"""HTML pages: the chat window (framed by the portal's widget glue) and the agent console."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.security import build_policy

from . import selectors
from .models import Conversation
from .platform import PlatformError, resolve_messenger
from .services import conversation_mark_read, post_message


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


def _filters(request: HttpRequest) -> dict[str, str]:
    brand = request.GET.get("brand", "")[:100]
    status = request.GET.get("status", "")
    if status not in dict(selectors.STATUS_CHOICES):
        status = ""
    return {"brand": brand, "status": status}


def verified_staff_required(view):
    """Staff whose session holds a verified second factor.

    Others go through the portal's own two-step login (the same one customers use, never
    the stock admin form) with ``next`` pointing back here; a signed-in customer gets 403.
    JSON callers (the console's polling) get the API error shape instead of a redirect.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        if user.is_authenticated and user.is_verified() and not user.is_staff:
            if wants_json:
                return JsonResponse(
                    {"error": "permission_denied", "detail": "the agent console is for staff"},
                    status=403,
                    headers={"Cache-Control": "no-store"},
                )
            raise PermissionDenied("the agent console is for staff")
        if not (user.is_authenticated and user.is_staff and user.is_verified()):
            if wants_json:
                return JsonResponse(
                    {"error": "not_authenticated", "detail": "log in again to see the queue"},
                    status=401,
                    headers={"Cache-Control": "no-store"},
                )
            step = "accounts:verify" if user.is_authenticated else "accounts:login"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper


def _queue_context(request: HttpRequest) -> dict:
    filters = _filters(request)
    queue = selectors.console_queue(**filters)
    return {
        "queue": queue,
        "filters": filters,
        "unread": sum(1 for e in queue if e.is_unread),
        "today": timezone.localdate(),
    }


@require_GET
@verified_staff_required
def console(request: HttpRequest) -> HttpResponse:
    """GET /sandbox/console/?brand=&status=: the queue, most recent activity first."""
    context = _queue_context(request)
    context.update(brands=selectors.console_brands(), status_choices=selectors.STATUS_CHOICES)
    response = render(request, "sandbox/console.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@verified_staff_required
def console_queue(request: HttpRequest) -> JsonResponse:
    """GET /sandbox/console/queue/?brand=&status=: the queue's rows for live updates.

    ``{"html": <the rows>, "count": n, "unread": n, "brands": [[slug, name], ...]}``; the
    console polls it.
    """
    context = _queue_context(request)
    html = render_to_string("sandbox/_queue.html", context, request=request)
    return JsonResponse(
        {
            "html": html,
            "count": len(context["queue"]),
            "unread": context["unread"],
            "brands": selectors.console_brands(),
        },
        headers={"Cache-Control": "no-store"},
    )


@require_http_methods(["GET", "POST"])
@verified_staff_required
def console_conversation(request: HttpRequest, conversation_id) -> HttpResponse:
    """GET/POST /sandbox/console/conversations/<id>/: details, messages, agent reply form.

    Opening it marks the conversation read for the queue.
    """
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
    conversation_mark_read(conversation=conversation)
    response = render(
        request,
        "sandbox/conversation.html",
        {
            "conversation": conversation,
            "chat_messages": conversation.messages.all(),
            "brand_name": selectors.brand_name(conversation.brand, conversation.messenger),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@verified_staff_required
def console_conversation_read(request: HttpRequest, conversation_id) -> HttpResponse:
    """POST /sandbox/console/conversations/<id>/read: the open page saw new messages."""
    conversation = get_object_or_404(Conversation, pk=conversation_id)
    conversation_mark_read(conversation=conversation)
    return HttpResponse(status=204)
