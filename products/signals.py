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
