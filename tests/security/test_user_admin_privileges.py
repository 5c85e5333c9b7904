"""A staff member who may change users cannot make anyone (itself first) more powerful.

The attack: a staff account holding only ``accounts.change_user`` opens its own page in the
user admin, ticks "Superuser status" (Django's default ``UserAdmin`` form offers it) and saves;
it would then open the signing keys. Django's admin documents that ``change_user`` lets a user
"change other users' ... permissions", so the project must close it:
https://docs.djangoproject.com/en/5.2/topics/auth/default/#auth-admin
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from tests import factories
from tests.conftest import login_verified


def _staff_with(*codenames: str):
    user = factories.UserFactory(username="helpdesk", is_staff=True, is_superuser=False)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
    )
    client = login_verified(Client(), user, factories.TOTPDeviceFactory(user=user))
    return user, client


def _change_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_staff_member_with_change_user_cannot_make_itself_superuser():
    # given a staff member who may change users and nothing else
    user, client = _staff_with("change_user", "view_user")
    admin_group = Group.objects.create(name="admins")
    admin_group.permissions.set(Permission.objects.all())
    every = Permission.objects.values_list("pk", flat=True)
    # when it ticks superuser, adds a group and every permission on its own page
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    response = client.post(
        url,
        _change_form(
            user,
            is_superuser="on",
            is_staff="on",
            groups=[admin_group.pk],
            user_permissions=list(every),
            first_name="Helpful",
        ),
    )
    # then the other fields are saved, the privileges are not
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Helpful"
    assert not user.is_superuser
    assert not user.groups.exists()
    assert set(user.get_all_permissions()) == {"accounts.change_user", "accounts.view_user"}
    # and the signing keys stay closed to it
    assert client.get("/admin/brands/signingkey/").status_code == 403


@pytest.mark.django_db
def test_a_staff_member_with_change_user_cannot_take_over_or_demote_a_superuser():
    # given a superuser and a staff member who may change users
    boss = factories.UserFactory(username="boss", is_staff=True, is_superuser=True)
    _user, client = _staff_with("change_user", "view_user", "delete_user")
    # when it tries to set the superuser's password, edit or delete the account
    password = client.post(
        f"/admin/accounts/user/{boss.pk}/password/",
        {"password1": "Another-long-pass-1", "password2": "Another-long-pass-1"},
    )
    edit = client.post(
        f"/admin/accounts/user/{boss.pk}/change/", _change_form(boss, first_name="x")
    )
    delete = client.post(f"/admin/accounts/user/{boss.pk}/delete/", {"post": "yes"})
    # then each is refused and the account is unchanged
    assert (password.status_code, edit.status_code, delete.status_code) == (403, 403, 403)
    boss.refresh_from_db()
    assert boss.check_password(factories.PASSWORD) and boss.is_superuser and boss.first_name != "x"


@pytest.mark.django_db
def test_a_superuser_still_grants_staff_and_permissions(staff_client):
    user = factories.UserFactory(username="newstaff")
    response = staff_client.post(
        f"/admin/accounts/user/{user.pk}/change/", _change_form(user, is_staff="on")
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff
