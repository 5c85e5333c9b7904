"""Brand edits change what the JWKS and discovery publish: invalidate every process's copy.

Brand rows are saved by the admin's form as well as by ``brand_create``, so the receiver is
the one place that records a brand change. Signing keys change only through
``brands.services``, which record their own changes (``keyset.changed``): no receiver here.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from brands import keyset
from brands.models import Brand


@receiver(post_save, sender=Brand)
@receiver(post_delete, sender=Brand)
def _brand_changed(sender, **kwargs) -> None:
    keyset.changed(using=kwargs.get("using"))
