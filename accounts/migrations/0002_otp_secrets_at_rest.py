"""Second factors at rest: seal existing TOTP seeds, hash existing backup codes.

Both conversions are idempotent (sealed seeds and digests are recognised and left alone), so a
re-run, or rows written meanwhile in the old form, are safe. Reversing is not possible for
backup codes (they are hashed), so the reverse step only unseals seeds.
"""

from django.db import migrations

from accounts import otp_secrets
from brands import encryption


def forwards(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for device in TOTPDevice.objects.all().only("id", "user_id", "key").iterator():
        if not encryption.is_sealed(device.key):
            sealed = otp_secrets.seed_seal(device.key, user_id=device.user_id)
            TOTPDevice.objects.filter(pk=device.pk).update(key=sealed)
    for token in StaticToken.objects.all().only("id", "device_id", "token").iterator():
        if not otp_secrets.is_backup_digest(token.token):
            digest = otp_secrets.backup_code_digest(token.token, device_id=token.device_id)
            StaticToken.objects.filter(pk=token.pk).update(token=digest)


def backwards(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    for device in TOTPDevice.objects.all().only("id", "user_id", "key").iterator():
        if encryption.is_sealed(device.key):
            seed = otp_secrets.seed_open(device.key, user_id=device.user_id)
            TOTPDevice.objects.filter(pk=device.pk).update(key=seed.hex())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthenticatorDevice",
            fields=[],
            options={
                "verbose_name": "authenticator (TOTP)",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
