from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent
from products import permissions, services
from products.models import DataProduct, OutputPort
from tests import factories

pytestmark = pytest.mark.django_db


def test_owner_creates_a_draft_that_only_the_team_sees(owner, member, other_owner, analyst, team):
    product = services.product_create(actor=owner, team=team, slug="orders", name="Orders", tags=["Sales", "daily"])
    assert product.status == DataProduct.Status.DRAFT
    assert product.urn == "urn:mesh:crm:orders"
    assert sorted(tag.name for tag in product.tags.all()) == ["daily", "sales"]
    assert permissions.can_view_product(member, product)
    assert permissions.can_edit_product(member, product)
    assert not permissions.can_view_product(other_owner, product)
    assert not permissions.can_view_product(analyst, product)
    assert AuditEvent.objects.filter(action="product.create", target_id=str(product.pk), actor=owner).exists()


def test_nobody_creates_for_a_team_they_are_not_in(other_owner, team):
    with pytest.raises(PermissionDenied):
        services.product_create(actor=other_owner, team=team, slug="orders", name="Orders")
    assert not DataProduct.objects.filter(slug="orders").exists()


def test_duplicate_slug_in_a_domain_names_the_slug_field(owner, team, product):
    with pytest.raises(DomainError) as error:
        services.product_create(actor=owner, team=team, slug=product.slug, name="Again")
    assert error.value.field == "slug"


def test_staff_with_global_permissions_cannot_edit_a_team_product(staff, product):
    assert staff.has_perm("products.change_dataproduct")
    assert not permissions.can_edit_product(staff, product)
    with pytest.raises(PermissionDenied):
        services.product_update(actor=staff, product=product, summary="taken over")


def test_leaving_the_team_revokes_edit_rights_at_once(member, product, team):
    assert permissions.can_edit_product(member, product)
    team.memberships.get(user=member).delete()
    assert not permissions.can_edit_product(member, product)


def test_handing_a_product_to_another_team_moves_the_permissions(owner, product, team):
    second = factories.TeamFactory(domain=team.domain, slug="crm-two")
    factories.MembershipFactory(team=second, user=owner)
    newcomer = factories.UserFactory()
    factories.MembershipFactory(team=second, user=newcomer)
    old_member = factories.UserFactory()
    factories.MembershipFactory(team=team, user=old_member)
    services.product_update(actor=owner, product=product, owner_team=second)
    assert permissions.can_edit_product(newcomer, product)
    assert not permissions.can_edit_product(old_member, product)


def test_deleting_a_product_deletes_its_object_permissions(product):
    from products.models import DataProductGroupObjectPermission

    assert DataProductGroupObjectPermission.objects.filter(content_object=product).exists()
    product.delete()
    assert not DataProductGroupObjectPermission.objects.exists()


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("draft", "published", True),
        ("draft", "deprecated", False),
        ("draft", "retired", False),
        ("published", "deprecated", True),
        ("published", "retired", False),
        ("published", "draft", False),
        ("deprecated", "published", True),
        ("deprecated", "retired", True),
        ("retired", "published", False),
        ("retired", "draft", False),
    ],
)
def test_lifecycle_allows_only_legal_moves(owner, team, start, target, allowed):
    sunset = timezone.now() - timedelta(days=1) if start == "deprecated" else None  # its notice has run out
    product = factories.publishable(factories.DataProductFactory(owner_team=team, status=start, sunset_at=sunset))
    if allowed:
        services.product_change_status(actor=owner, product=product, to_status=target)
        product.refresh_from_db()
        assert product.status == target
        event = AuditEvent.objects.get(action=f"product.{target}", target_id=str(product.pk))
        assert (event.from_state, event.to_state, event.actor) == (start, target, owner)
    else:
        with pytest.raises(TransitionNotAllowed):
            services.product_change_status(actor=owner, product=product, to_status=target)
        product.refresh_from_db()
        assert product.status == start


def test_publishing_sets_published_at_once(owner, draft):
    factories.publishable(draft)
    services.product_publish(actor=owner, product=draft)
    draft.refresh_from_db()
    first = draft.published_at
    services.product_deprecate(actor=owner, product=draft)
    services.product_publish(actor=owner, product=draft)
    draft.refresh_from_db()
    assert draft.published_at == first


def test_port_schema_is_replaced_in_order(owner, product):
    port = services.port_save(
        actor=owner,
        product=product,
        name="orders",
        version="1.0.0",
        fields=[{"name": "order_id", "data_type": "bigint"}, {"name": "email", "classification": "pii"}],
    )
    services.port_save(
        actor=owner, product=product, port=port, version="2.0.0", fields=[{"name": "email"}, {"name": "total"}]
    )
    port.refresh_from_db()
    assert port.version == "2.0.0"  # order_id removed: a breaking change takes a new major
    assert [field.name for field in port.fields.all()] == ["email", "total"]


def test_bad_port_version_or_field_name_saves_nothing(owner, product):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.port_save(actor=owner, product=product, name="orders", version="one", fields=[])
    assert "version" in error.value.message_dict
    assert not OutputPort.objects.filter(name="orders").exists()
    with pytest.raises(ValidationError):
        services.port_save(actor=owner, product=product, name="orders", version="1.0.0", fields=[{"name": "bad name"}])
    assert not OutputPort.objects.filter(name="orders").exists()


def test_duplicate_field_names_are_refused(owner, product):
    with pytest.raises(DomainError) as error:
        services.port_save(
            actor=owner, product=product, name="orders", version="1.0.0", fields=[{"name": "a"}, {"name": "a"}]
        )
    assert error.value.field == "fields"


def test_lineage_refuses_a_loop(owner, other_owner, product, other_product):
    services.lineage_add(actor=owner, product=product, upstream=other_product)
    with pytest.raises(DomainError):
        services.lineage_add(actor=other_owner, product=other_product, upstream=product)


def test_subscribing_needs_a_purpose_and_a_published_product(analyst, product, draft):
    with pytest.raises(DomainError):
        services.subscription_create(actor=analyst, product=product, purpose="  ")
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=analyst, product=draft, purpose="x")
    subscription = services.subscription_create(actor=analyst, product=product, purpose="Reporting")
    assert subscription.user == analyst
    with pytest.raises(DomainError):
        services.subscription_create(actor=analyst, product=product, purpose="Again")


def test_cannot_subscribe_a_team_one_is_not_in(analyst, product, other_team):
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=analyst, product=product, purpose="x", team=other_team)


def test_visibility_reads_permissions_by_id_and_reads_them_again_after_a_migration(member, analyst, draft):
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.db.models.signals import post_migrate

    assert DataProduct.objects.visible_to(member).filter(pk=draft.pk).exists()
    assert not DataProduct.objects.visible_to(analyst).filter(pk=draft.pk).exists()
    in_table = dict(Permission.objects.filter(content_type__app_label="products").values_list("codename", "pk"))
    assert permissions._permission_ids == in_table
    permissions._permission_ids["change_dataproduct"] = -1  # as if a migration had numbered it anew
    products_app = apps.get_app_config("products")
    post_migrate.send(
        sender=products_app, app_config=products_app, verbosity=0, interactive=False, using="default", apps=apps
    )
    assert permissions._permission_ids == in_table
    assert DataProduct.objects.visible_to(member).filter(pk=draft.pk).exists()


def test_a_rows_visibility_is_the_list_rule_with_the_grants_read_once(
    member, analyst, other_owner, admin_user, product, draft
):
    from django.contrib.auth.models import AnonymousUser

    from portal.request_cache import RequestCacheMiddleware

    rows = {draft.pk: draft.status, product.pk: product.status}
    for user in (member, analyst, other_owner, admin_user, AnonymousUser()):
        listed = set(DataProduct.objects.visible_to(user).filter(pk__in=rows).values_list("pk", flat=True))

        def within_a_request(request, user=user):
            permissions.product_perms_read(user, list(rows))
            with CaptureQueriesContext(connection) as queries:
                seen = {pk for pk, status in rows.items() if permissions.product_viewable(user, pk, status)}
            assert not queries  # answered from the grants read above
            return seen

        assert RequestCacheMiddleware(within_a_request)(None) == listed
    assert {pk for pk, status in rows.items() if permissions.product_viewable(member, pk, status)} == set(rows)
    assert {pk for pk, status in rows.items() if permissions.product_viewable(analyst, pk, status)} == {product.pk}


def test_a_lineage_graph_outside_a_request_reads_the_grants_on_its_drafts_once(member, team, product):
    from products import selectors

    def queries_with(drafts: int) -> tuple[int, int]:
        for _ in range(drafts):
            upstream = factories.DataProductFactory(owner_team=team, status=DataProduct.Status.DRAFT)
            factories.LineageEdgeFactory(product=product, upstream=upstream)
        with CaptureQueriesContext(connection) as queries:
            graph = selectors.lineage_graph(user=member, product=product)  # as the MCP server calls it: no request
        return len(queries), len([node for node in graph.nodes if node.level == -1])

    few, seen_few = queries_with(2)
    many, seen_many = queries_with(6)
    assert many == few
    assert (seen_few, seen_many) == (2, 8)  # the team's drafts, which its member may edit
