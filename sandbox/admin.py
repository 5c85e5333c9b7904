"""Read-only admin views of the sandbox platform's records (the console is the agent UI)."""

from django.contrib import admin

from .models import Conversation, Message, Rejection


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
    list_display = ("created_at", "status", "brand", "messenger", "subject", "kid", "gap_ms")
    list_filter = ("status", "brand", "messenger")
    search_fields = ("subject", "kid", "jti")
    exclude = ("secret_hash",)
    inlines = [MessageInline]


@admin.register(Rejection)
class RejectionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "reason", "brand", "messenger", "kid", "client_address")
    list_filter = ("reason", "brand", "messenger")
    search_fields = ("kid", "token_fingerprint", "client_address")
