from django.urls import path

from . import api, stepup_views, views

app_name = "sandbox"

urlpatterns = [
    path("chat/", views.chat_window, name="chat"),
    path("console/", views.console, name="console"),
    path("console/queue/", views.console_queue, name="console-queue"),
    path(
        "console/conversations/<uuid:conversation_id>/",
        views.console_conversation,
        name="console-conversation",
    ),
    path(
        "console/conversations/<uuid:conversation_id>/read",
        views.console_conversation_read,
        name="console-conversation-read",
    ),
    path(
        "console/conversations/<uuid:conversation_id>/stepup",
        stepup_views.console_stepup,
        name="console-stepup",
    ),
    path(
        "api/conversations/<str:conversation_id>/assurance",
        stepup_views.AssuranceView.as_view(),
        name="api-assurance",
    ),
    path("api/sessions", api.SessionsView.as_view(), name="api-sessions"),
    path(
        "api/conversations/<str:conversation_id>/messages",
        api.MessagesView.as_view(),
        name="api-messages",
    ),
    path(
        "api/conversations/<str:conversation_id>/typing",
        api.TypingView.as_view(),
        name="api-typing",
    ),
]
