from django.contrib import admin

from messaging.models import TokenIssue


@admin.register(TokenIssue)
class TokenIssueAdmin(admin.ModelAdmin):
    """The audit trail, read-only: staff can look, nobody can edit or delete history."""

    list_display = ("issued_at", "subject", "brand", "messenger", "kid", "expires_at", "jti")
    list_filter = ("brand", "messenger", "algorithm")
    list_select_related = ("brand", "messenger")
    search_fields = ("jti", "subject", "kid", "fingerprint", "client_address")
    date_hierarchy = "issued_at"
    readonly_fields = [f.name for f in TokenIssue._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
