"""Staff screens (behind django-otp's OTPAdminSite): brands, signing keys, messengers.

Key material is write-only: the add form takes a PEM (or generates), the service encrypts it,
and no screen ever shows more than the kid, fingerprint and public JWK. Every life-cycle change
is an action that calls a service and reports success or the domain error.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

import platforms
from brands import conf, selectors, services
from brands.algorithms import RSA_ALGORITHMS, Algorithm
from brands.errors import BrandsError
from brands.models import Brand, Messenger, SigningKey
from brands.platforms import SANDBOX_FLAG, platform_get
from config.admin_site import abbreviated, with_tooltip


class MessengerInlineForm(forms.ModelForm):
    """A row of the brand's messengers: a saved messenger's slug is fixed, as on its page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["slug"].disabled = True


class MessengerInline(admin.TabularInline):
    """One line per messenger on the brand's page (a stacked form each made a brand with nine
    messengers 11,000 px tall). Everything else is on the messenger's own page ("Change")."""

    model = Messenger
    form = MessengerInlineForm
    extra = 0
    fields = ("slug", "label", "platform", "is_active")
    show_change_link = True
    verbose_name_plural = (
        "messengers (audience, algorithm, lifetime, attributes, vendor settings and step-up "
        "policy: on each messenger's page)"
    )


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    # the issuer is on the brand's page: a URL column clipped Created at at 1280 px
    list_display = ("slug", "name", "is_active", "active_keys", "created_at")
    list_filter = ("is_active", "key_store")
    search_fields = ("slug", "name", "issuer")
    readonly_fields = ("issuer_display", "jwks_link", "rotation_link", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("slug", "name", "is_active")}),
        ("Issuer", {"fields": ("issuer", "issuer_display", "jwks_link", "rotation_link")}),
        ("Signing keys", {"fields": ("key_store",)}),
        (
            "What customers see",
            {
                "fields": (
                    "logo_url",
                    ("primary_color", "header_color"),
                    ("support_phone", "support_email"),
                    ("support_url", "support_hours"),
                )
            },
        ),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [MessengerInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["generate_rs256_key"]
    change_form_template = "admin/brands/brand/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # the slug is in the issuer and the JWKS URL that platforms are configured with
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    @admin.display(description="issuer (iss)")
    def issuer_display(self, obj: Brand) -> str:
        return obj.issuer_url if obj.pk else "-"

    @admin.display(description="JWKS")
    def jwks_link(self, obj: Brand) -> str:
        if not obj.pk:
            return "-"
        return format_html('<a href="{}">{}</a>', obj.jwks_url, obj.jwks_url)

    @admin.display(description="rotation timeline")
    def rotation_link(self, obj: Brand) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:brands_brand_rotation", args=[obj.pk])
        return format_html('<a href="{}">Keys, states and what the JWKS publishes now</a>', url)

    @admin.display(description="active keys")
    def active_keys(self, obj: Brand) -> str:
        algorithms = sorted(
            k.algorithm for k in obj.signing_keys.all() if k.state == SigningKey.State.ACTIVE
        )
        return ", ".join(algorithms) or "none"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("signing_keys")

    @admin.action(
        description="Generate a pending RS256 key (published, not signing)", permissions=["change"]
    )
    def generate_rs256_key(self, request, queryset):
        for brand in queryset.order_by("slug"):
            try:
                key = services.signing_key_generate(brand=brand, algorithm=Algorithm.RS256)
            except BrandsError as exc:
                self.message_user(request, f"Brand {brand.slug}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"Brand {brand.slug}: generated pending key {key.kid}.")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/rotation/",
                self.admin_site.admin_view(self.rotation_view),
                name="brands_brand_rotation",
            ),
            *super().get_urls(),
        ]

    def rotation_view(self, request, object_id):
        brand = self.get_object(request, object_id)
        if brand is None or not self.has_view_permission(request, brand):
            messages.warning(request, f"No brand with ID “{object_id}”. Perhaps it was deleted?")
            return HttpResponseRedirect(reverse("admin:index", current_app=self.admin_site.name))
        now = timezone.now()
        try:
            document = selectors.jwks_document(brand=brand)
            published = json.dumps(json.loads(document.body), indent=2)
            etag = document.etag
        except BrandsError:
            published, etag = "(inactive brand: no JWKS is published)", ""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": brand,
            "brand": brand,
            "title": f"Rotation timeline: {brand.name}",
            "now": now,
            "entries": selectors.rotation_timeline(brand=brand, now=now),
            "plan": services.signing_keys_plan(brand=brand, now=now) if brand.is_active else [],
            "published": published,
            "etag": etag,
            "policy": {
                "JWKS max-age": conf.get("JWKS_MAX_AGE"),
                "pre-publication period": conf.get("PREPUBLICATION_PERIOD"),
                "rotation period": conf.get("ROTATION_PERIOD"),
                "retention of retired keys": conf.get("RETENTION"),
                "max token lifetime": conf.get("MAX_TOKEN_LIFETIME"),
                "leeway": conf.get("LEEWAY"),
            },
        }
        return TemplateResponse(request, "admin/brands/brand/rotation_timeline.html", context)


def _write_only(label: str, help_text: str, widget=None) -> forms.CharField:
    """An optional field for secret material: kept as typed, never rendered back."""
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=widget or forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )


def _day(moment) -> str:
    """A date for a narrow column, with the full UTC time in its title."""
    return format_html(
        '<time title="{}">{}</time>', f"{moment:%Y-%m-%d %H:%M:%S} UTC", f"{moment:%Y-%m-%d}"
    )


class SigningKeyAddForm(forms.ModelForm):
    """Generate a key or import a PEM. The PEM and its password are write-only: they go to
    the service, which stores only the encrypted material, and are never rendered back."""

    SOURCES = (
        ("generate", "Generate a new key"),
        ("import", "Import a PEM private key"),
        (
            "secret",
            "Import a brand-level HS256 secret (legacy: Zendesk and Intercom secrets belong "
            "to their messenger, see Messengers > New shared secret)",
        ),
    )

    brand = forms.ModelChoiceField(queryset=Brand.objects.order_by("name"))
    algorithm = forms.ChoiceField(
        choices=SigningKey.Algorithm.choices, initial=SigningKey.Algorithm.RS256
    )
    source = forms.ChoiceField(choices=SOURCES, initial="generate", widget=forms.RadioSelect)
    key_size = forms.TypedChoiceField(
        choices=[(3072, "3072 bits (recommended)"), (2048, "2048 bits"), (4096, "4096 bits")],
        coerce=int,
        initial=3072,
        required=False,
        help_text="RSA only (RS256, RS512, PS256).",
    )
    pem = _write_only(
        "PEM private key",
        "Only for an import. Stored encrypted; never shown again.",
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
    )
    password = _write_only("PEM password", "Only for an encrypted PEM.")
    secret = _write_only(
        "Shared secret",
        "Only for a shared secret (at least 32 bytes). Stored encrypted; never shown.",
    )
    secret_kid = forms.CharField(
        label="Key id expected by the platform",
        required=False,
        max_length=64,
        help_text="Only for a shared secret; empty for a random kid.",
    )
    certificate = forms.BooleanField(
        required=False,
        initial=True,
        label="Add a self-signed certificate (x5c)",
        help_text="Needed by platforms that upload certificates (Salesforce).",
    )

    class Meta:
        model = SigningKey
        fields: list[str] = []

    def clean(self):
        """Validate only: the same checks the services make, without creating anything."""
        data = super().clean()
        if self.errors:
            return data
        try:
            source = data["source"]
            if source == "secret":
                if data["algorithm"] != Algorithm.HS256:
                    raise forms.ValidationError({"algorithm": "A shared secret is an HS256 key."})
                if not data.get("secret"):
                    raise forms.ValidationError({"secret": "Paste the shared secret."})
                services.signing_key_import_secret_check(
                    secret=data["secret"], kid=data.get("secret_kid", "")
                )
            elif source == "import":
                if not data.get("pem"):
                    raise forms.ValidationError({"pem": "Paste the PEM private key to import."})
                services.signing_key_import_check(
                    pem=data["pem"],
                    password=data.get("password") or None,
                    algorithm=data["algorithm"],
                )
            elif data.get("pem"):
                raise forms.ValidationError({"source": "Choose 'Import' to use the pasted PEM."})
        except BrandsError as exc:
            raise forms.ValidationError(f"{exc.detail} ({exc.code})", code=exc.code) from exc
        finally:
            # never render secrets back, even on error
            self.data = self.data.copy()
            for name in ("pem", "password", "secret"):
                self.data.pop(name, None)
        return data

    def create(self) -> SigningKey:
        """Create the key the valid form describes, through the service for its source."""
        data = self.cleaned_data
        if data["source"] == "secret":
            return services.signing_key_import_secret(
                brand=data["brand"], secret=data["secret"], kid=data.get("secret_kid", "")
            )
        if data["source"] == "import":
            return services.signing_key_import(
                brand=data["brand"],
                pem=data["pem"],
                password=data.get("password") or None,
                algorithm=data["algorithm"],
                certificate=data.get("certificate", False),
            )
        rsa = data["algorithm"] in RSA_ALGORITHMS
        return services.signing_key_generate(
            brand=data["brand"],
            algorithm=data["algorithm"],
            key_size=(data.get("key_size") or None) if rsa else None,
            certificate=data.get("certificate", False),
        )


_LIFE_CYCLE = (
    "created_at",
    "activated_at",
    "retired_at",
    "revoked_at",
    "purged_at",
    "purge_due",
    "updated_at",
)


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    # fits 1280 px with the filter sidebar: a short kid (the full one in its title and on the
    # key's page) and one "since" date instead of a column per life-cycle date
    list_display = ("short_kid", "brand_slug", "alg", "short_state", "usable", "created", "since")
    list_filter = ("state", "algorithm", "store", "origin", "brand")
    list_select_related = ("brand",)
    search_fields = ("kid", "fingerprint", "brand__slug", "brand__name")
    date_hierarchy = "created_at"
    actions = [
        "activate",
        "activate_now",
        "retire",
        "revoke",
        "generate_successor",
    ]
    readonly_fields = (
        "brand",
        "kid",
        "algorithm",
        "state",
        "origin",
        "key_size",
        "store",
        "store_handle_display",
        "fingerprint",
        "public_jwk_display",
        "certificate_not_after",
        "unusable_reason",
        "revocation_reason",
        *_LIFE_CYCLE,
    )
    fieldsets = (
        (None, {"fields": ("brand", "kid", "algorithm", "state", "origin", "key_size")}),
        ("Where the private key lives", {"fields": ("store", "store_handle_display")}),
        (
            "Public material",
            {"fields": ("fingerprint", "public_jwk_display", "certificate_not_after")},
        ),
        ("Problems", {"fields": ("unusable_reason", "revocation_reason")}),
        ("Life cycle", {"fields": _LIFE_CYCLE}),
    )
    add_fieldsets = (
        (None, {"fields": ("brand", "algorithm", "source", "key_size", "certificate")}),
        ("Import a PEM (write-only)", {"fields": ("pem", "password")}),
        ("Import a shared secret (write-only)", {"fields": ("secret", "secret_kid")}),
    )

    class Media:
        css = {"all": ("brands/admin.css",)}

    @admin.display(description="kid", ordering="kid")
    def short_kid(self, obj: SigningKey) -> str:
        return abbreviated(obj.kid)

    @admin.display(description="brand", ordering="brand__slug")
    def brand_slug(self, obj: SigningKey) -> str:
        return with_tooltip(obj.brand.slug, obj.brand.name)

    @admin.display(description="alg", ordering="algorithm")
    def alg(self, obj: SigningKey) -> str:
        return obj.algorithm

    @admin.display(description="state", ordering="state")
    def short_state(self, obj: SigningKey) -> str:
        return with_tooltip(obj.state, obj.get_state_display())

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: SigningKey) -> str:
        return _day(obj.created_at)

    @admin.display(description="state since")
    def since(self, obj: SigningKey) -> str:
        dates = {
            SigningKey.State.ACTIVE: obj.activated_at,
            SigningKey.State.RETIRED: obj.retired_at,
            SigningKey.State.REVOKED: obj.revoked_at,
        }
        return _day(dates.get(obj.state) or obj.created_at)

    @admin.display(boolean=True, description="usable")
    def usable(self, obj: SigningKey) -> bool:
        return obj.is_usable

    @admin.display(description="public JWK (published)")
    def public_jwk_display(self, obj: SigningKey) -> str:
        if obj.is_symmetric:
            return "shared secret: never published"
        return format_html("<pre>{}</pre>", json.dumps(obj.jwk(), indent=2))

    @admin.display(description="HSM object (CKA_ID)")
    def store_handle_display(self, obj: SigningKey) -> str:
        if not obj.in_hsm:
            return "-"
        if obj.store_handle:
            waiting = " (revoked: to be destroyed at the next rotation run)"
            return obj.store_handle + (waiting if obj.state == SigningKey.State.REVOKED else "")
        return "destroyed in the HSM"

    @admin.display(description="leaves the JWKS at")
    def purge_due(self, obj: SigningKey):
        return obj.purge_due_at or "-"

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = SigningKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        """A new key is made by its service; existing keys change only through the actions."""
        if change:
            return
        created = form.create()
        obj.pk = created.pk
        obj.refresh_from_db()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BrandsError as exc:
            # the service refused at save time what the form accepted (a concurrent import of
            # the same key): nothing was saved (the admin's transaction rolled back)
            self.message_user(
                request, f"No key was created: {exc.detail} ({exc.code})", messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        """No related objects."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a kid is unique forever: keys are revoked, never deleted

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # nothing is editable: keys change through the actions of the list
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _each(self, request, queryset, verb: str, call) -> None:
        for key in queryset.select_related("brand").order_by("brand_id", "created_at", "id"):
            try:
                call(key)
            # messages start with a word: the admin capitalises the first letter of a message,
            # which would change the case of a kid (cJ5QP... shown as CJ5QP...)
            except BrandsError as exc:
                self.message_user(
                    request, f"Key {key.kid}: {exc.detail} ({exc.code})", messages.ERROR
                )
            else:
                self.message_user(request, f"Key {key.kid}: {verb}.", messages.SUCCESS)

    @admin.action(
        description="Activate (after the pre-publication period)", permissions=["change"]
    )
    def activate(self, request, queryset):
        self._each(request, queryset, "activated", lambda k: services.signing_key_activate(key=k))

    def _confirmation_page(
        self, request, queryset, *, action: str, title: str, warning: str, reason=False
    ) -> TemplateResponse | None:
        """An emergency action runs only after a confirmation page (like Django's delete):
        the first POST answers that page; the second, with ``confirmed``, gets None: act."""
        if request.POST.get("confirmed") == "yes":
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "warning": warning,
            "keys": queryset.select_related("brand").order_by("brand_id", "created_at", "id"),
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "ask_reason": reason,
        }
        return TemplateResponse(request, "admin/brands/signingkey/confirm_action.html", context)

    @admin.action(
        description="Activate now, skipping the pre-publication wait (emergency)",
        permissions=["change"],
    )
    def activate_now(self, request, queryset):
        page = self._confirmation_page(
            request,
            queryset,
            action="activate_now",
            title="Activate now, without the pre-publication wait?",
            warning="Each key below signs from now on, and the brand's current key of the same "
            "algorithm is retired. Platforms that cached the JWKS before the key was published "
            "reject its tokens until they refetch it (up to the JWKS max-age): customers may "
            "fail verification meanwhile. Use it when the active key is compromised or unusable.",
        )
        if page is not None:
            return page
        self._each(
            request,
            queryset,
            "activated",
            lambda k: services.signing_key_activate(key=k, force=True),
        )

    @admin.action(description="Retire (stop signing, stay published)", permissions=["change"])
    def retire(self, request, queryset):
        self._each(request, queryset, "retired", lambda k: services.signing_key_retire(key=k))

    @admin.action(
        description="Revoke (unpublish now, erase the private key)", permissions=["change"]
    )
    def revoke(self, request, queryset):
        page = self._confirmation_page(
            request,
            queryset,
            action="revoke",
            title="Revoke these keys for good?",
            warning="Each key below leaves the JWKS now and its private key is erased: tokens "
            "it signed stop verifying as soon as platforms refetch the JWKS, and it can never "
            "sign again. Revoking the active key leaves the brand unable to sign until another "
            "key is activated.",
            reason=True,
        )
        if page is not None:
            return page
        why = (request.POST.get("reason") or "").strip()[:200]
        by = f"revoked in the admin by {request.user.get_username()}"
        self._each(
            request,
            queryset,
            "revoked",
            lambda k: services.signing_key_revoke(key=k, reason=f"{by}: {why}" if why else by),
        )

    @admin.action(
        description="Generate a pending successor (same brand and algorithm)",
        permissions=["change"],
    )
    def generate_successor(self, request, queryset):
        seen = set()
        for key in queryset.select_related("brand").order_by("brand_id", "algorithm"):
            if (key.brand_id, key.algorithm) in seen:
                continue
            seen.add((key.brand_id, key.algorithm))
            try:
                rsa_size = key.key_size if key.algorithm in RSA_ALGORITHMS else None
                new = services.signing_key_generate(
                    brand=key.brand,
                    algorithm=key.algorithm,
                    key_size=rsa_size if rsa_size in conf.RSA_KEY_SIZES else None,
                )
            except BrandsError as exc:
                self.message_user(request, f"Brand {key.brand.slug}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Brand {key.brand.slug}: generated pending {new.algorithm} key {new.kid}.",
                )


class MessengerAdminForm(forms.ModelForm):
    """The messenger form, with the vendor's shared secret as a write-only field.

    The secret is validated here (no side effect) and stored by ``messenger_secret_set`` in
    ``MessengerAdmin.save_model``; it is never rendered back, not even after an error.
    """

    new_shared_secret = _write_only(
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
        (None, {"fields": ("brand", "slug", "label", "platform", "is_active")}),
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
