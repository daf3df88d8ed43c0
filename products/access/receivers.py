"""Access answers the catalog's lifecycle: a retired product (or retired port) keeps no grants and takes no
requests."""

from django.dispatch import receiver

from products.access import services
from products.models import DataProduct
from products.signals import port_retired, product_status_changed


@receiver(product_status_changed, dispatch_uid="access.product_access_end")
def product_access_end(sender, *, product, to_status, **kwargs):
    if to_status == DataProduct.Status.RETIRED:
        services.product_access_end(product=product)


@receiver(port_retired, dispatch_uid="access.port_access_end")
def port_access_end(sender, *, port, now=None, **kwargs):
    services.product_access_end(product=port.product, port=port, now=now)
