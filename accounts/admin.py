from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html, format_html_join

from accounts.assurance import Method, method_of
from accounts.models import AccountTier, Customer, Membership, User
from accounts.services import user_second_factors
from config.admin_site import abbreviated


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


# What makes an account more powerful: only a superuser grants or removes these.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, minus the way up: with ``accounts.change_user`` alone a staff
    member could tick ``is_superuser`` on itself (Django's default form) and then open the
    signing keys. Privilege fields are read-only except to a superuser, and a superuser's
    account (its password included) is changed by a superuser only."""

    list_display = ("username", "email", "name", "is_staff", "is_active")

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return fields + tuple(f for f in PRIVILEGE_FIELDS if f not in fields)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="name", ordering="last_name")
    def name(self, obj: User) -> str:
        return obj.get_full_name()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    readonly_fields = ["created_at"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "short_customer_id",
        "full_name",
        "email",
        "tier",
        "is_vip",
        "balance_display",
        "since",
    )
    list_filter = ("tier", "is_vip", "brands")
    list_select_related = ("user", "tier")
    search_fields = (
        "customer_id",
        "user__username",
        "user__email",
        "user__first_name",
        "user__last_name",
    )
    autocomplete_fields = ["user"]
    readonly_fields = ("customer_id", "created_at", "updated_at", "second_factors")
    inlines = [MembershipInline]
    fieldsets = (
        ("Identity", {"fields": ("customer_id", "user")}),
        ("Second factors", {"fields": ("second_factors",)}),
        ("Certified attributes", {"fields": ("tier", "is_vip", "balance", "currency")}),
        ("History", {"fields": ("customer_since", "created_at", "updated_at")}),
    )

    @admin.display(description="customer id", ordering="customer_id")
    def short_customer_id(self, obj: Customer) -> str:
        return abbreviated(obj.customer_id)

    @admin.display(description="since", ordering="customer_since")
    def since(self, obj: Customer) -> str:
        return obj.customer_since.isoformat()

    @admin.display(description="balance", ordering="balance")
    def balance_display(self, obj: Customer) -> str:
        return f"{obj.balance} {obj.currency}"

    @admin.display(description="Name", ordering="user__last_name")
    def full_name(self, obj: Customer) -> str:
        return obj.user.get_full_name()

    @admin.display(description="Second factors (last use)")
    def second_factors(self, obj: Customer) -> str:
        """Each confirmed device: kind, name, added, last used. No secret material."""
        if not obj.pk:
            return "—"
        rows = [
            (
                Method(method_of(d)).label,
                d.name,
                _when(getattr(d, "created_at", None)),
                _when(getattr(d, "last_used_at", None)) or "never",
            )
            for d in user_second_factors(obj.user)
        ]
        if not rows:
            return "none: the customer must enroll at the next login"
        return format_html(
            "<table><thead><tr><th>Kind</th><th>Name</th><th>Added</th><th>Last used</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="E-mail", ordering="user__email")
    def email(self, obj: Customer) -> str:
        return obj.user.email


@admin.register(AccountTier)
class AccountTierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "rank", "vip_by_default", "is_default")
    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")
