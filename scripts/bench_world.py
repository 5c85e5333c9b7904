"""The benchmark's world, built on the (fresh) database of DATABASE_URL: ``scripts/bench.py``
runs it with the benchmark's production settings.

``python scripts/bench_world.py SESSIONS OUT``: brand ``bench`` with an active RS256-3072 key
and an active ES256 key, messengers ``bench-rs`` (RS256) and ``bench-es`` (ES256), and
SESSIONS verified sessions of the brand's customers (run ``generate_scale --customers N
--brand bench`` first, N >= SESSIONS), written to OUT, one ``sessionid<TAB>csrf<TAB>address``
line each. The sessions are made through the configured session engine exactly as the
login's MFA step leaves them.

With an HSM configured (``PKCS11_MODULE``; ``bench.py`` makes a SoftHSM2 token), also brand
``bench-hsm``: the same customers, an active RS256-3072 key generated in the token, and
messenger ``bench-hsm`` (RS256): the token endpoint with the PKCS#11 key store.
"""

import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_bench")

import django

django.setup()

from importlib import import_module  # noqa: E402

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import Customer, Membership  # noqa: E402
from brands import services as brand_services  # noqa: E402
from brands.models import Brand  # noqa: E402


def main(count: int, out: Path) -> None:
    brand = Brand.objects.get(slug="bench")
    if not brand.signing_keys.filter(state="active").exists():
        brand_services.signing_key_generate(
            brand=brand, algorithm="RS256", key_size=3072, activate=True
        )
        brand_services.signing_key_generate(brand=brand, algorithm="ES256", activate=True)
        brand_services.messenger_create(brand=brand, slug="bench-rs", platform="generic")
        brand_services.messenger_create(
            brand=brand, slug="bench-es", platform="generic", algorithm="ES256"
        )
    customers = list(
        Customer.objects.filter(memberships__brand=brand)
        .select_related("user")
        .order_by("pk")[:count]
    )
    if len(customers) < count:
        sys.exit(f"only {len(customers)} customers of brand bench; generate more first")
    if settings.PKCS11_MODULE and not Brand.objects.filter(slug="bench-hsm").exists():
        hsm = brand_services.brand_create(slug="bench-hsm", name="Bench HSM")
        hsm.key_store = "pkcs11"
        hsm.save(update_fields=["key_store"])
        brand_services.signing_key_generate(
            brand=hsm, algorithm="RS256", key_size=3072, activate=True
        )
        brand_services.messenger_create(brand=hsm, slug="bench-hsm", platform="generic")
        Membership.objects.bulk_create([Membership(customer=c, brand=hsm) for c in customers])
    devices = {
        d.user_id: d for d in TOTPDevice.objects.filter(user_id__in=[c.user_id for c in customers])
    }
    engine = import_module(settings.SESSION_ENGINE)
    lines = []
    for n, customer in enumerate(customers):
        user = customer.user
        session = engine.SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = devices[user.pk].persistent_id
        session.save()
        address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        lines.append(f"{session.session_key}\t{secrets.token_hex(16)}\t{address}")
    out.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} verified sessions written to {out}")


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
