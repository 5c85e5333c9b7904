"""The messenger screens: platform settings, the write-only vendor shared secret, OpenID
Connect client secrets (shown once), and how to set the messenger up at its vendor."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

import platforms
from brands import services
from brands.admin.fields import write_only
from brands.errors import BrandsError
from brands.models import Messenger
from brands.platforms import SANDBOX_FLAG, platform_get


class MessengerAdminForm(forms.ModelForm):
    """The messenger form, with the vendor's shared secret as a write-only field.

    The secret is validated here (no side effect) and stored by ``messenger_secret_set`` in
    ``MessengerAdmin.save_model``; it is never rendered back, not even after an error.
    """

    new_shared_secret = write_only(
        "New shared secret",
        "Zendesk and Intercom only: paste the secret the vendor's console issued (at least 32 "
        "characters) to set or replace it. Stored encrypted; never shown again.",
    )
    new_key_id = forms.CharField(
        label="Key id of the secret",
        required=False,
        max_length=64,
        help_text="Zendesk: the signing key's id (app_...), sent as the JWT header kid. "
        "Empty keeps the current one.",
    )

    class Meta:
        model = Messenger
        fields = [
            "brand",
            "slug",
            "label",
            "platform",
            "is_active",
            "audience",
            "algorithm",
            "token_ttl",
            "attributes",
            "allowed_origins",
            "vendor_settings",
            "min_acr",
            "max_auth_age",
            "vip_requires_passkey",
        ]

    def clean(self):
        data = super().clean()
        secret = data.get("new_shared_secret") or ""
        key_id = (data.get("new_key_id") or "").strip()
        try:
            if secret:
                platform = data.get("platform") or self.instance.platform
                services.messenger_secret_check(
                    platform=platform,
                    secret=secret,
                    key_id=key_id or self.instance.shared_secret_key_id,
                )
            elif key_id:
                raise forms.ValidationError(
                    {"new_key_id": "A key id is changed together with its secret."}
                )
        except BrandsError as exc:
            raise forms.ValidationError(
                {"new_shared_secret": f"{exc.detail} ({exc.code})"}, code=exc.code
            ) from exc
        finally:
            self.data = self.data.copy()
            self.data.pop("new_shared_secret", None)
        return data


# Sections of a messenger's page that only some platforms use (MessengerAdmin.get_fieldsets).
_OIDC_SECTION = "Client credentials (OpenID Connect: Genesys; attributes API: Salesforce)"
_SECRET_SECTION = "Shared secret (Zendesk, Intercom; write-only)"


@admin.register(Messenger)
class MessengerAdmin(admin.ModelAdmin):
    list_display = (
        "slug",
        "brand",
        "platform",
        "algorithm_code",
        "lifetime",
        "is_active",
    )
    list_filter = ("platform", "is_active", "algorithm", "brand")
    list_select_related = ("brand",)
    search_fields = ("slug", "audience", "brand__slug", "brand__name")
    form = MessengerAdminForm

    readonly_fields = (
        "vendor_setup",
        "shared_secret_display",
        "issuer_display",
        "jwks_url_display",
        "client_secret_status",
        "created_at",
        "updated_at",
    )
    actions = ["rotate_client_secret"]
    fieldsets = (
        (
            "Vendor setup: what the chat platform must be given",
            {"fields": ("vendor_setup",), "classes": ("vendor-setup",)},
        ),
        (
            _OIDC_SECTION,
            {
                "fields": ("redirect_uris", "require_pkce", "client_secret_status"),
                "description": "Genesys Cloud signs customers in with OpenID Connect, and "
                "Salesforce flows read certified attributes: the messenger is a client whose id "
                "is its audience (redirect URIs and PKCE apply to OpenID Connect only). The "
                "client secret is shown once, after creation or rotation (action “Rotate "
                "client secret”).",
            },
        ),
        (
            None,
            {"fields": ("brand", "slug", "label", "platform", "is_active", "in_chat_picker")},
        ),
        (
            "Tokens",
            {
                "fields": (
                    "audience",
                    "issuer_display",
                    "jwks_url_display",
                    "algorithm",
                    "token_ttl",
                    "attributes",
                )
            },
        ),
        ("Widget", {"fields": ("allowed_origins", "vendor_settings")}),
        (
            "Assurance policy (step-up)",
            {
                "fields": ("min_acr", "max_auth_age", "vip_requires_passkey"),
                "description": "A token or auth code that does not meet this policy is refused "
                "with 403 step_up_required; the chat asks the customer to verify again "
                "(docs/assurance.md).",
            },
        ),
        (
            _SECRET_SECTION,
            {"fields": ("shared_secret_display", "new_shared_secret", "new_key_id")},
        ),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def get_fieldsets(self, request, obj=None):
        """A saved messenger's page leaves out the sections its platform does not use (the
        OpenID Connect client of Genesys, the shared secret of Zendesk and Intercom): their
        fields keep their values. The add form shows them all, the platform not yet chosen."""
        spec = platform_get(obj.platform) if obj is not None else None
        if spec is None:
            return self.fieldsets
        unused = set()
        if not obj.has_client_credentials:
            unused.add(_OIDC_SECTION)
        if not spec.shared_secret:
            unused.add(_SECRET_SECTION)
        return tuple(section for section in self.fieldsets if section[0] not in unused)

    def get_readonly_fields(self, request, obj=None):
        # the slug is what the page's widget asks tokens for; brand changes would move the
        # messenger to another issuer
        return (*self.readonly_fields, "slug", "brand") if obj else self.readonly_fields

    @admin.display(description="algorithm", ordering="algorithm")
    def algorithm_code(self, obj: Messenger) -> str:
        """The algorithm's name alone ("RS256"): its long label pushed the list off the page."""
        return obj.algorithm

    @admin.display(description="token lifetime", ordering="token_ttl")
    def lifetime(self, obj: Messenger) -> str:
        """``token_ttl`` as "5 min" or "90 s" rather than "0:05:00"."""
        minutes, seconds = divmod(int(obj.token_ttl.total_seconds()), 60)
        return f"{minutes} min" if minutes and not seconds else f"{minutes * 60 + seconds} s"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        secret = form.cleaned_data.get("new_shared_secret")
        if secret:
            key_id = (form.cleaned_data.get("new_key_id") or "").strip()
            services.messenger_secret_set(
                messenger=obj, secret=secret, key_id=key_id or obj.shared_secret_key_id
            )
            self.message_user(
                request,
                f"Messenger {obj.slug}: shared secret {obj.shared_secret_status()}.",
                messages.INFO,
            )

    @admin.display(description="Current shared secret")
    def shared_secret_display(self, obj: Messenger) -> str:
        spec = platform_get(obj.platform) if obj.pk else None
        if spec is None or not spec.shared_secret:
            return "not used: this platform verifies the brand's published keys"
        kid = f", key id {obj.shared_secret_key_id}" if obj.shared_secret_key_id else ""
        return f"{obj.shared_secret_status()}{kid}"

    @admin.display(description="Platform settings")
    def vendor_setup(self, obj: Messenger) -> str:
        """What a platform administrator types into the vendor's console (public values only)
        and the vendor settings this messenger declares, with the platform's guide."""
        if not obj.pk:
            return "Save the messenger to see its vendor setup."
        spec = platform_get(obj.platform)
        if spec is None:
            return f"No claim profile is registered for {obj.platform!r}."
        rows = spec.setup_rows(obj)
        console = format_html_join(
            "", '<tr><th scope="row">{}</th><td><code>{}</code></td></tr>', rows
        )
        declared = format_html_join(
            "",
            '<tr><th scope="row">{} <small>({})</small></th><td><code>{}</code>'
            '<div class="help">{}</div></td></tr>',
            (
                (
                    f.label,
                    f.name,
                    (obj.vendor_settings or {}).get(f.name)
                    or ("(missing)" if f.required else "(default)"),
                    f.help,
                )
                for f in spec.vendor_fields
            ),
        )
        sandbox = (obj.vendor_settings or {}).get(SANDBOX_FLAG) is True
        if declared:
            settings_part = format_html(
                '<table class="vendor-settings"><caption>From the {} console, kept here '
                "(vendor settings)</caption>{}</table>",
                spec.label,
                declared,
            )
        else:
            settings_part = format_html(
                '<p class="vendor-settings">Nothing to copy back from the {} console: this '
                "platform declares no vendor settings.</p>",
                spec.label,
            )
        guide_path = platforms.guide(spec.platform)
        guide = (
            format_html('<p class="vendor-guide">Step by step: <code>{}</code></p>', guide_path)
            if guide_path
            else ""
        )
        return format_html(
            '{}<table class="vendor-setup"><caption>Enter in the {} console</caption>{}</table>'
            "{}{}",
            guide,
            spec.label,
            console,
            settings_part,
            mark_safe(
                '<p class="help">"sandbox": true - while the sandbox is served, the Chat button '
                "opens the sandbox chat window for this messenger instead of the vendor "
                "widget.</p>"
            )
            if sandbox
            else "",
        )

    @admin.display(description="Client secret")
    def client_secret_status(self, obj: Messenger) -> str:
        """Fingerprints and dates only: a client secret is never shown after its creation."""
        if not obj.pk or not obj.has_client_credentials:
            return "-"
        now = timezone.now()
        live = [s for s in obj.client_secrets.all() if s.expires_at is None or s.expires_at > now]
        if not live:
            return "No working client secret: use the action “Rotate client secret”."
        return format_html_join(
            ", ",
            "{} (created {}{})",
            (
                (
                    secret.fingerprint,
                    secret.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                    f", stops {secret.expires_at:%Y-%m-%d %H:%M} UTC" if secret.expires_at else "",
                )
                for secret in live
            ),
        )

    def response_add(self, request, obj, post_url_continue=None):
        # A new OpenID Connect client gets its first secret now, shown on this page only.
        if obj.has_client_credentials and not obj.client_secrets.exists():
            return self._show_secrets(
                request, [(obj, services.client_secret_rotate(messenger=obj))]
            )
        return super().response_add(request, obj, post_url_continue)

    @admin.action(
        description="Rotate client secret (shown once; the old one stops now)",
        permissions=["change"],
    )
    def rotate_client_secret(self, request, queryset):
        shown = []
        for messenger in queryset.select_related("brand"):
            try:
                shown.append((messenger, services.client_secret_rotate(messenger=messenger)))
            except BrandsError as exc:
                self.message_user(
                    request, f"Messenger {messenger.slug}: {exc.detail}", messages.ERROR
                )
        return self._show_secrets(request, shown) if shown else None

    def _show_secrets(self, request, shown):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Client secret: copy it now",
            "secrets": [
                {
                    "messenger": m,
                    "client_id": m.client_id,
                    "secret": s,
                    "discovery": m.brand.discovery_url,
                }
                for m, s in shown
            ],
        }
        response = TemplateResponse(request, "admin/brands/messenger/client_secret.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.display(description="issuer (iss)")
    def issuer_display(self, obj: Messenger) -> str:
        return obj.issuer if obj.pk else "-"

    @admin.display(description="JWKS URL")
    def jwks_url_display(self, obj: Messenger) -> str:
        return obj.jwks_url if obj.pk else "-"
