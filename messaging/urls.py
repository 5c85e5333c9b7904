from django.urls import path

from messaging import apis

app_name = "messaging"

urlpatterns = [
    path("api/v1/messaging/token", apis.TokenIssueApi.as_view(), name="token"),
    path(
        "api/v1/messaging/messengers/<slug:slug>/setup",
        apis.MessengerSetupApi.as_view(),
        name="messenger-setup",
    ),
]
