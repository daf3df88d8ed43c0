"""Every read of contracts the pages, API and jobs need, always given the user. Lists cost a fixed number of
queries."""

from django.db.models import BooleanField, ExpressionWrapper

from products.contracts import permissions
from products.contracts.changes import schema_diff
from products.contracts.models import Declassification, SchemaVersion
from products.models import OutputPort


def schema_versions(*, user, port: OutputPort):
    """A port's versions, newest first (scheduled and cancelled ones included), or none when the port is hidden."""
    if not permissions.can_view_schema_versions(user, port.product):
        return SchemaVersion.objects.none()
    return SchemaVersion.objects.filter(port=port).select_related("author").order_by("-created_at", "-pk")


def schema_version_diff(*, user, port: OutputPort, old_id: int, new_id: int) -> tuple:
    """Two versions of ``port`` and the changes from the first to the second (DoesNotExist when hidden)."""
    versions = schema_versions(user=user, port=port)
    old, new = versions.get(pk=old_id), versions.get(pk=new_id)
    return old, new, schema_diff(old.schema, new.schema)


def scheduled_changes(*, user):
    return (
        SchemaVersion.objects.visible_to(user)
        .filter(status=SchemaVersion.Status.SCHEDULED)
        .select_related("port__product__domain", "author")
        .order_by("effective_at", "pk")
    )


def declassification_list(*, user, status: str | None = Declassification.Status.PENDING):
    """Requests on products the user may see, each annotated ``reviewable`` (the user may decide it); every row
    names its column, never a value."""
    queryset = (
        Declassification.objects.visible_to(user)
        .select_related("field__port__product__domain", "requested_by", "decided_by")
        .annotate(reviewable=ExpressionWrapper(permissions.reviewable_q(user), output_field=BooleanField()))
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-requested_at", "-pk")
