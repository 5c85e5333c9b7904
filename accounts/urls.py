from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/enroll/", views.enroll_view, name="enroll"),
    path("login/backup-codes/", views.backup_codes_view, name="backup-codes"),
    path("logout/", views.logout_view, name="logout"),
    path("theme/<slug:slug>.css", views.brand_theme_view, name="brand-theme"),
]
