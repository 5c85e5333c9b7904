from django.urls import path

from messaging import apis, beacon_api
from messaging.oidc import views as oidc

app_name = "messaging"

urlpatterns = [
    path("api/v1/messaging/token", apis.TokenIssueApi.as_view(), name="token"),
    path("api/v1/messaging/auth-code", apis.AuthCodeIssueApi.as_view(), name="auth-code"),
    path("api/v1/messaging/events", beacon_api.EventBeaconApi.as_view(), name="events"),
    path(
        "api/v1/messaging/messengers/<slug:slug>/setup",
        apis.MessengerSetupApi.as_view(),
        name="messenger-setup",
    ),
    path(
        "api/v1/brands/<str:brand>/customers/<str:subject>/attributes",
        apis.CustomerAttributesApi.as_view(),
        name="customer-attributes",
    ),
    # Each brand's OpenID Connect provider (announced by its discovery document).
    path("brands/<str:slug>/oidc/authorize", oidc.authorize, name="oidc-authorize"),
    path("brands/<str:slug>/oidc/token", oidc.token, name="oidc-token"),
    path("brands/<str:slug>/oidc/userinfo", oidc.userinfo, name="oidc-userinfo"),
]
