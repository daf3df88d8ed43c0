"""factory_boy factories for every model the tests build. One place, shared by all test modules."""

import factory
from django.contrib.auth import get_user_model

from products import permissions
from products.models import DataProduct, Domain, LineageEdge, Membership, OutputPort, SchemaField, Subscription, Team

PASSWORD = "correct horse battery staple"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def persist_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"domain-{n}")
    name = factory.LazyAttribute(lambda domain: domain.slug.replace("-", " ").title())


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["slug"]

    domain = factory.SubFactory(DomainFactory)
    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda team: team.slug.replace("-", " ").title())


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


class DataProductFactory(factory.django.DjangoModelFactory):
    """A product owned by ``owner_team``, with the team's object permissions granted as the services do."""

    class Meta:
        model = DataProduct
        skip_postgeneration_save = True

    owner_team = factory.SubFactory(TeamFactory)
    domain = factory.LazyAttribute(lambda product: product.owner_team.domain)
    slug = factory.Sequence(lambda n: f"product-{n}")
    name = factory.LazyAttribute(lambda product: product.slug.replace("-", " ").title())
    summary = "A product for tests."
    status = DataProduct.Status.PUBLISHED
    freshness_minutes = 60

    @factory.post_generation
    def grant_team(obj, create, extracted, **kwargs):
        if create:
            permissions.product_permissions_grant(obj, obj.owner_team)

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            from products.models import Tag

            obj.tags.set([Tag.objects.get_or_create(name=name)[0] for name in extracted])


class OutputPortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutputPort

    product = factory.SubFactory(DataProductFactory)
    name = factory.Sequence(lambda n: f"port_{n}")
    kind = OutputPort.Kind.TABLE
    location = factory.LazyAttribute(lambda port: f"warehouse.test.{port.name}")
    version = "1.0.0"


class SchemaFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchemaField

    port = factory.SubFactory(OutputPortFactory)
    name = factory.Sequence(lambda n: f"field_{n}")
    data_type = "string"
    position = factory.Sequence(int)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    product = factory.SubFactory(DataProductFactory)
    user = factory.SubFactory(UserFactory)
    purpose = "Reporting"


class LineageEdgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineageEdge

    product = factory.SubFactory(DataProductFactory)
    upstream = factory.SubFactory(DataProductFactory)


# --- governance ---------------------------------------------------------------------------------------------------


def _today():
    from django.utils import timezone

    return timezone.localdate()


class CouncilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.Council"
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Council {n}")
    quorum_percent = 50
    majority = "simple"


class SeatFactory(factory.django.DjangoModelFactory):
    """A domain seat; pass ``is_chair=True, domain=None`` for the chair's seat."""

    class Meta:
        model = "governance.Seat"

    council = factory.SubFactory(CouncilFactory)
    domain = factory.SubFactory(DomainFactory)
    holder = factory.SubFactory(UserFactory)
    is_chair = False


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.Standard"

    council = factory.SubFactory(CouncilFactory)
    code = factory.Sequence(lambda n: f"STD-{n + 100:03d}")
    version = 1
    kind = "min_quality_score"
    title = factory.Sequence(lambda n: f"Standard {n}")
    text = "Products keep their quality score up."
    rule = factory.LazyFunction(lambda: {"minimum": 70})
    severity = "warning"
    effective_from = factory.LazyFunction(lambda: _today())
    grace_days = 30
    status = "in_force"


class ProposalFactory(factory.django.DjangoModelFactory):
    """A draft resolution by default; ``kind="adopt_standard"`` gets a valid quality-score standard."""

    class Meta:
        model = "governance.Proposal"

    council = factory.SubFactory(CouncilFactory)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Proposal {n}")
    motivation = "Because the mesh needs it."
    kind = "resolution"
    standard_kind = factory.LazyAttribute(lambda p: "min_quality_score" if p.kind == "adopt_standard" else "")
    standard_title = factory.LazyAttribute(lambda p: "Quality at least 80" if p.kind == "adopt_standard" else "")
    standard_text = factory.LazyAttribute(lambda p: "Keep quality at 80 or more." if p.kind == "adopt_standard" else "")
    rule = factory.LazyAttribute(lambda p: {"minimum": 80} if p.kind == "adopt_standard" else {})


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.Vote"

    proposal = factory.SubFactory(ProposalFactory)
    seat = factory.SubFactory(SeatFactory)
    choice = "for"
    cast_by = factory.LazyAttribute(lambda vote: vote.seat.holder)


# --- Access to data (requests, grants, warehouses) ---------------------------------------------------------------


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.Warehouse"
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"warehouse-{n}")
    engine = "sqlite"
    path = "warehouse.sqlite3"


class ClearanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.Clearance"

    user = factory.SubFactory(UserFactory)
    kind = "gdpr"
    expires_at = factory.LazyFunction(lambda: _in_days(365))


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.WebhookEndpoint"

    name = factory.Sequence(lambda n: f"endpoint-{n}")
    url = "http://127.0.0.1:9/hook"
    secret = "s3cret"
    active = True


def _in_days(days: int):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=days)


# --- glossary ---------------------------------------------------------------------------------------------------


class StewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "glossary.Steward"

    user = factory.SubFactory(UserFactory)
    domain = None


class TermFactory(factory.django.DjangoModelFactory):
    """A glossary term (approved unless told otherwise), written directly: the review rules live in services."""

    class Meta:
        model = "glossary.Term"

    name = factory.Sequence(lambda n: f"Term {n}")
    definition = factory.LazyAttribute(lambda term: f"What {term.name} means.")
    domain = None
    author = factory.SubFactory(UserFactory)
    status = "approved"


class TermAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "glossary.TermAlias"

    term = factory.SubFactory(TermFactory)
    kind = "synonym"
    name = factory.Sequence(lambda n: f"Alias {n}")


class TermLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "glossary.TermLink"

    term = factory.SubFactory(TermFactory)
    field = factory.SubFactory(SchemaFieldFactory)
    product = None


# --- quality ----------------------------------------------------------------------------------------------------


class QualityCheckFactory(factory.django.DjangoModelFactory):
    """A check written directly (no validation): tests of the service go through ``quality_check_save``."""

    class Meta:
        model = "products.QualityCheck"

    product = factory.SubFactory(DataProductFactory)
    port = None
    name = factory.Sequence(lambda n: f"check-{n}")
    kind = "row_count"
    params = factory.LazyFunction(lambda: {"min_rows": 1})
    severity = "warning"
    dimension = "coverage"


class CheckResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.CheckResult"

    quality_check = factory.SubFactory(QualityCheckFactory)
    product = factory.LazyAttribute(lambda result: result.quality_check.product)
    state = "passed"
    source = "runner"


# --- enforcement ------------------------------------------------------------------------------------------------


def publishable(product, accountable=None):
    """Give ``product`` what the baseline standard asks before publishing: an accountable person, a summary, a
    freshness SLA and an output port with a schema. Returns the product (saved)."""
    if accountable is None:
        membership = product.owner_team.memberships.select_related("user").order_by("pk").first()
        accountable = membership.user if membership else UserFactory()
    product.accountable = accountable
    product.summary = product.summary or "A product for tests."
    if product.freshness_minutes is None:
        product.freshness_minutes = 60
    product.save()
    if not SchemaField.objects.filter(port__product=product).exists():
        port = product.ports.order_by("pk").first() or OutputPortFactory(product=product)
        SchemaFieldFactory(port=port, name="id")
    return product


class WaiverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.Waiver"

    product = factory.SubFactory(DataProductFactory)
    standard_code = "STD-100"
    reason = "Migrating the pipeline this quarter."
    requested_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: _in_days(30))
    status = "requested"
