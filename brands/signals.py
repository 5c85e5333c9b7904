"""Brand edits change what the JWKS and discovery publish: invalidate every process's copy."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from brands import keyset
from brands.models import Brand, SigningKey


@receiver(post_save, sender=Brand)
@receiver(post_delete, sender=Brand)
@receiver(post_save, sender=SigningKey)
@receiver(post_delete, sender=SigningKey)
def _keyset_changed(sender, **kwargs) -> None:
    keyset.bump_on_commit(using=kwargs.get("using"))
