"""Public documents of the brands app, included at the site root (config/urls.py)."""

from django.urls import path

from brands import views

app_name = "brands"

urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    # <str:...> rather than <slug:...>: a malformed slug gets the same JSON 404 as an unknown one
    path("brands/<str:slug>/.well-known/jwks.json", views.brand_jwks, name="brand-jwks"),
    path(
        "brands/<str:slug>/.well-known/openid-configuration",
        views.brand_openid_configuration,
        name="brand-openid-configuration",
    ),
]
