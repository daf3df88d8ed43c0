"""Contracts answer the catalog's signals: a port's schema change is checked and recorded, a lifecycle move keeps
its notice."""

from django.dispatch import receiver

from products.contracts import services
from products.signals import (
    port_schema_changed,
    port_schema_validate,
    product_status_changed,
    product_status_validate,
)


@receiver(port_schema_validate, dispatch_uid="contracts.schema_change_check")
def schema_change_check(sender, *, port, actor, before, after, previous_version, **kwargs):
    return services.schema_change_check(
        port=port, actor=actor, before=before, after=after, previous_version=previous_version
    )


@receiver(port_schema_changed, dispatch_uid="contracts.schema_version_record")
def schema_version_record(sender, *, port, actor, before, after, previous_version, **kwargs):
    services.schema_version_record(
        port=port, actor=actor, before=before, after=after, previous_version=previous_version
    )


@receiver(product_status_validate, dispatch_uid="contracts.product_status_check")
def product_status_check(sender, *, product, to_status, data, **kwargs):
    services.product_status_check(product=product, to_status=to_status, data=data)


@receiver(product_status_changed, dispatch_uid="contracts.product_status_announce")
def product_status_announce(sender, *, product, to_status, **kwargs):
    services.product_status_announce(product=product, to_status=to_status)
