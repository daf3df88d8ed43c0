"""Re-evaluate a product as soon as it changes, after commit; answer the catalog's question before publishing.

``GovernanceConfig.ready()`` imports this module, which connects the receivers below.

Why signals rather than a call in each products service: a product changes through many doors (the services,
Django admin, seeding, the quality runner updating ``quality_score``, ODCS imports), and the catalog should not
need to know that governance exists. post_save/post_delete on the product, its ports and fields cover every door
with no import from products into governance; publishing asks governance through the ``product_publish_validate`` signal.

Many saves in one transaction (a port with twenty fields) lead to one evaluation per product: the ids collect in
a per-thread set that the first on-commit callback flushes (a rollback leaves them for the next commit: an extra
evaluation is harmless, evaluating is idempotent). A handful of products (an edit through a page or the API) is
evaluated right there after commit, about a dozen queries whatever the product, so the owner sees the new score on
the next page load; a bulk change (an import, a seeding) is handed to Celery in chunks. Evaluating inline also
keeps a background writer from competing with the request's own follow-up work. Anything missed (an error, a
broker down) is caught by the hourly run.
"""

import logging
import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from governance.enforcement.engine import products_evaluate, publish_gate_check
from governance.enforcement.tasks import products_evaluate_chunk
from portal.services import task_publish
from products.models import DataProduct, OutputPort, SchemaField
from products.signals import product_publish_validate

logger = logging.getLogger(__name__)
_pending = threading.local()
INLINE_LIMIT = 20
CHUNK_SIZE = 500


def product_changed(product_id: int | None) -> None:
    if not product_id:
        return
    ids = getattr(_pending, "ids", None)
    if ids is None:
        ids = _pending.ids = set()
    ids.add(product_id)
    transaction.on_commit(_flush)


def _flush() -> None:
    ids = sorted(getattr(_pending, "ids", None) or ())
    _pending.ids = set()
    if not ids:
        return
    try:
        if len(ids) <= INLINE_LIMIT:
            products_evaluate(ids)
        else:
            for start in range(0, len(ids), CHUNK_SIZE):
                task_publish(products_evaluate_chunk, ids[start : start + CHUNK_SIZE])
    except Exception:  # the change is committed; the hourly run evaluates what was missed
        logger.exception("could not evaluate products %s after a change", ids[:20])


@receiver(post_save, sender=DataProduct, dispatch_uid="governance-product-changed")
def _product_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        product_changed(instance.pk)


@receiver(post_save, sender=OutputPort, dispatch_uid="governance-port-saved")
@receiver(post_delete, sender=OutputPort, dispatch_uid="governance-port-deleted")
def _port_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        product_changed(instance.product_id)


@receiver(post_save, sender=SchemaField, dispatch_uid="governance-field-saved")
@receiver(post_delete, sender=SchemaField, dispatch_uid="governance-field-deleted")
def _field_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    product_id = OutputPort.objects.filter(pk=instance.port_id).values_list("product_id", flat=True).first()
    product_changed(product_id)


@receiver(product_publish_validate, dispatch_uid="governance-publish-gate")
def publish_gate(sender, product, **kwargs) -> None:
    """The catalog asks before publishing; blocker standards in force refuse with the list of failures."""
    publish_gate_check(product)
