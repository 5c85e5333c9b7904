"""The signing-key screens: generate or import (write-only material), and one action per
life-cycle change, each calling a service and reporting success or the domain error."""

import json

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html

from brands import conf, services
from brands.admin.fields import write_only
from brands.algorithms import RSA_ALGORITHMS, Algorithm
from brands.errors import BrandsError
from brands.models import Brand, SigningKey
from config.admin_site import abbreviated, with_tooltip


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
    pem = write_only(
        "PEM private key",
        "Only for an import. Stored encrypted; never shown again.",
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
    )
    password = write_only("PEM password", "Only for an encrypted PEM.")
    secret = write_only(
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
