from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("admin/reports/", views.report, name="report"),
    path("admin/reports/events/", views.events, name="events"),
    path("metrics", views.metrics, name="metrics"),
]
