from django.contrib import admin, messages

from messaging.models import AttributeLookup, OidcGrant, TokenIssue
from messaging.oidc import services as oidc


class ReadOnlyAdmin(admin.ModelAdmin):
    """An audit trail: staff can look, nobody can add, edit or delete history."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TokenIssue)
class TokenIssueAdmin(ReadOnlyAdmin):
    list_display = (
        "issued_at",
        "kind",
        "subject",
        "brand",
        "messenger",
        "kid",
        "expires_at",
        "jti",
    )
    list_filter = ("kind", "brand", "messenger", "algorithm")
    list_select_related = ("brand", "messenger")
    search_fields = ("jti", "subject", "kid", "fingerprint", "client_address")
    date_hierarchy = "issued_at"


@admin.register(AttributeLookup)
class AttributeLookupAdmin(ReadOnlyAdmin):
    """Every server-to-server read of certified attributes (Genesys data actions)."""

    list_display = ("created_at", "messenger", "subject", "found", "attributes", "client_address")
    list_filter = ("found", "messenger")
    list_select_related = ("messenger",)
    search_fields = ("subject", "client_address")
    date_hierarchy = "created_at"


@admin.register(OidcGrant)
class OidcGrantAdmin(ReadOnlyAdmin):
    """What each Genesys code exchange granted; staff can end a grant (its tokens stop)."""

    list_display = ("created_at", "messenger", "customer", "scope", "expires_at", "revoked_at")
    list_filter = ("messenger", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("messenger", "customer__user")
    search_fields = ("customer__customer_id", "customer__user__username")
    date_hierarchy = "created_at"
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # session_hash identifies a portal session: not for display
        return [f.name for f in self.model._meta.fields if f.name != "session_hash"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.action(
        description="Revoke (its access and refresh tokens stop at once)", permissions=["revoke"]
    )
    def revoke(self, request, queryset):
        count = oidc.grants_revoke(grants=queryset, reason="staff")
        self.message_user(request, f"{count} grant(s) revoked.", messages.SUCCESS)

    def has_revoke_permission(self, request):
        return request.user.has_perm("messaging.change_oidcgrant")
