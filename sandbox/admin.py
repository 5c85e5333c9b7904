"""Read-only admin views of the sandbox platform's records (the console is the agent UI)."""

from datetime import UTC

from django.contrib import admin
from django.utils.html import format_html

from .models import Conversation, Message, Rejection


def _abbreviated(value: str, keep: int) -> str:
    short = value if len(value) <= keep + 2 else f"{value[:keep]}…"
    return format_html('<code title="{}">{}</code>', value, short)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "sender", "agent_name", "body")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = (
        "created",
        "status",
        "messenger",
        "short_subject",
        "short_kid",
        "gap",
    )
    list_filter = ("status", "brand", "messenger")
    search_fields = ("subject", "kid", "jti")
    exclude = ("secret_hash",)
    inlines = [MessageInline]

    # Short columns so the list fits at 1280 px (the conversation's page shows them whole; the
    # brand is a filter).
    # Not config.admin_site.abbreviated: the sandbox imports none of the portal's modules.
    @admin.display(description="created (UTC)", ordering="created_at")
    def created(self, obj: Conversation) -> str:
        return obj.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description="subject", ordering="subject")
    def short_subject(self, obj: Conversation) -> str:
        return _abbreviated(obj.subject, 12)

    @admin.display(description="kid", ordering="kid")
    def short_kid(self, obj: Conversation) -> str:
        return _abbreviated(obj.kid, 12)

    @admin.display(description="click to verified", ordering="gap_ms")
    def gap(self, obj: Conversation) -> str | None:
        return None if obj.gap_ms is None else f"{obj.gap_ms} ms"  # None: the admin's "-"


@admin.register(Rejection)
class RejectionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "reason", "brand", "messenger", "kid", "client_address")
    list_filter = ("reason", "brand", "messenger")
    search_fields = ("kid", "token_fingerprint", "client_address")
