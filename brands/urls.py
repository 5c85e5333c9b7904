"""Public documents of the brands app, included at the site root (config/urls.py)."""

from django.urls import path

from brands import views

app_name = "brands"

urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    # <str:...> rather than <slug:...>: a malformed slug gets the same JSON 404 as an unknown one
    path("brands/<str:slug>/.well-known/jwks.json", views.brand_jwks, name="brand-jwks"),
    # A vendor that fetches no JWKS (Dynamics 365) reads the keys in its own format here
    path(
        "brands/<str:slug>/messengers/<str:messenger>/public-key",
        views.messenger_public_key,
        name="messenger-public-key",
    ),
    path(
        "brands/<str:slug>/.well-known/openid-configuration",
        views.brand_openid_configuration,
        name="brand-openid-configuration",
    ),
]
