"""The brand screens: a brand's look, support contacts, key store, its messengers inline, and
its rotation timeline (what is published, what signs, what is due)."""

import json

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from brands import conf, selectors, services
from brands.algorithms import Algorithm
from brands.errors import BrandsError
from brands.models import Brand, Messenger, SigningKey


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
    fields = ("slug", "label", "platform", "is_active", "in_chat_picker")
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
