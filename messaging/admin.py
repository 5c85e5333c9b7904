from datetime import UTC

from django.contrib import admin, messages

from config.admin_site import abbreviated, with_tooltip
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
        "issued",
        "kind_code",
        "short_subject",
        "messenger_slug",
        "expires",
        "short_jti",
    )
    list_filter = ("kind", "brand", "messenger", "algorithm")
    list_select_related = ("messenger",)
    search_fields = ("jti", "subject", "kid", "fingerprint", "client_address")
    date_hierarchy = "issued_at"

    # Short columns so the list fits at 1280 px; each row's page shows every value whole, and
    # the search box finds a kid (the tokens of a key), a jti or a subject.
    @admin.display(description="issued (UTC)", ordering="issued_at")
    def issued(self, obj: TokenIssue) -> str:
        return obj.issued_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description="expires", ordering="expires_at")
    def expires(self, obj: TokenIssue) -> str:
        """The time of day alone when it is the day of issue, as it nearly always is."""
        expires, issued = obj.expires_at.astimezone(UTC), obj.issued_at.astimezone(UTC)
        return expires.strftime(
            "%H:%M:%S" if expires.date() == issued.date() else "%Y-%m-%d %H:%M:%S"
        )

    @admin.display(description="messenger", ordering="messenger__slug")
    def messenger_slug(self, obj: TokenIssue) -> str:
        return obj.messenger.slug

    @admin.display(description="kind", ordering="kind")
    def kind_code(self, obj: TokenIssue) -> str:
        return with_tooltip(obj.kind, obj.get_kind_display())

    @admin.display(description="subject", ordering="subject")
    def short_subject(self, obj: TokenIssue) -> str:
        return abbreviated(obj.subject)

    @admin.display(description="jti", ordering="jti")
    def short_jti(self, obj: TokenIssue) -> str:
        return abbreviated(obj.jti)


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
