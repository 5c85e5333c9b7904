from django.urls import path

from accounts import passkey_views as passkeys
from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/enroll/", views.enroll_view, name="enroll"),
    path("login/backup-codes/", views.backup_codes_view, name="backup-codes"),
    path("logout/", views.logout_view, name="logout"),
    path("logged-out/", views.logged_out_view, name="logged-out"),
    # browsers ask for /favicon.ico whatever the page links; the file is a static asset
    path("favicon.ico", views.favicon_view, name="favicon"),
    path("theme/<slug:slug>.css", views.brand_theme_view, name="brand-theme"),
    # passkeys (accounts/passkey_views.py)
    path("login/passkey/begin/", passkeys.authenticate_begin, name="passkey-auth-begin"),
    path("login/passkey/complete/", passkeys.authenticate_complete, name="passkey-auth-complete"),
    path("login/stepup/", passkeys.stepup_view, name="stepup"),
    path("login/enroll/codes/", passkeys.backup_codes_once, name="passkey-codes"),
    path("security/", passkeys.security_view, name="security"),
    path(
        "security/passkeys/register/begin/", passkeys.register_begin, name="passkey-register-begin"
    ),
    path(
        "security/passkeys/register/complete/",
        passkeys.register_complete,
        name="passkey-register-complete",
    ),
    path(
        "security/passkeys/<int:passkey_id>/rename/",
        passkeys.passkey_rename_view,
        name="passkey-rename",
    ),
    path(
        "security/passkeys/<int:passkey_id>/remove/",
        passkeys.passkey_remove_view,
        name="passkey-remove",
    ),
]
