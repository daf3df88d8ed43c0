"""Keep derived state in step with writes from any path (services, admin, seeding): the search index and the
team groups that carry object permissions."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal, receiver

from products.models import DataProduct, Membership, OutputPort, SchemaField
from products.search import search_index_update

# Sent inside the publishing transaction, with the product row locked, before its status changes (kwargs:
# ``product``). A receiver refuses by raising ``DomainError`` with the reasons, as pretix's ``validate_order``:
# the catalog asks, and the apps that set standards (governance) answer, without the catalog knowing them.
product_publish_validate = Signal()

# Sent inside ``port_save``'s transaction, the product row locked, before a port's schema or version is written
# (kwargs: ``port`` with its new attributes set but unsaved, ``actor`` (None: the portal's own job), ``before``
# (the columns as stored, None for a new port), ``after`` (the columns proposed), ``previous_version``). A receiver
# refuses by raising ``DomainError`` naming the field; it may answer a dict ``{"hold": {column: classification}}``
# to keep a column's stricter classification while a declassification waits for review.
port_schema_validate = Signal()

# Sent after the port and its columns are written, in the same transaction (kwargs: ``port``, ``actor``,
# ``before``, ``after`` as stored, ``previous_version``).
port_schema_changed = Signal()

# Sent inside ``product_change_status``'s transaction before the status changes (kwargs: ``product``,
# ``to_status``, ``actor``, ``data``, the transition's extra details such as a sunset date). Refuse by raising
# ``DomainError``.
product_status_validate = Signal()

# Sent after a lifecycle move, in the same transaction (kwargs: ``product``, ``from_status``, ``to_status``,
# ``actor``, ``data``): the access package revokes grants on retirement, contracts tells consumers.
product_status_changed = Signal()

# Sent when a superseded port reaches its sunset and is retired, in the retiring transaction with the port row
# locked (kwargs: ``port``, ``now``): the access package revokes its grants and rejects pending requests.
port_retired = Signal()


@receiver(post_save, sender=DataProduct)
@receiver(post_delete, sender=DataProduct)
def product_reindex(sender, instance, **kwargs):
    search_index_update([instance.pk])


@receiver(post_save, sender=OutputPort)
@receiver(post_delete, sender=OutputPort)
def port_reindex(sender, instance, **kwargs):
    search_index_update([instance.product_id])


@receiver(post_save, sender=SchemaField)
@receiver(post_delete, sender=SchemaField)
def field_reindex(sender, instance, **kwargs):
    try:
        product_id = OutputPort.objects.filter(pk=instance.port_id).values_list("product_id", flat=True).get()
    except OutputPort.DoesNotExist:  # the port is being deleted with its fields
        return
    search_index_update([product_id])


@receiver(m2m_changed, sender=DataProduct.tags.through)
def tags_reindex(sender, instance, action, pk_set, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"}:
        if isinstance(instance, DataProduct):
            search_index_update([instance.pk])
        else:
            search_index_update(pk_set or [])


@receiver(post_save, sender=Membership)
def membership_joins_group(sender, instance, **kwargs):
    instance.team.group.user_set.add(instance.user_id)


@receiver(post_delete, sender=Membership)
def membership_leaves_group(sender, instance, **kwargs):
    instance.team.group.user_set.remove(instance.user_id)
