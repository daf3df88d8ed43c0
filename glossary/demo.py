"""Demo glossary: gloria is the enterprise-wide steward; Revenue and Bookings differ (and say how); Customer ID,
Active Customer and PII are enterprise-wide; Customer ID is linked to the customer_id columns; Churn waits for
review; two domains both define Gross Margin, which the conflict job reports."""

from django.utils import timezone

from glossary import conflicts, services
from glossary.models import Steward, Term, TermLink, TermRelation
from products.models import DataProduct, Domain, SchemaField

APPROVED = Term.Status.APPROVED

TERMS = [
    # (key, name, domain slug or None, author, status, definition, synonyms, abbreviations, examples)
    (
        "revenue",
        "Revenue",
        "finance",
        "fiona",
        APPROVED,
        "Income **recognised on delivery** of goods to the customer, net of returns, discounts and VAT.",
        ["Net revenue", "Recognised revenue"],
        [],
        "An order booked on 30 March and delivered on 2 April is April revenue.",
    ),
    (
        "bookings",
        "Bookings",
        "sales",
        "sam",
        APPROVED,
        "The value of **orders confirmed by the customer**, counted at the moment of confirmation, before "
        "returns and cancellations.",
        ["Order intake"],
        [],
        "A confirmed order of 3 units at 20 EUR adds 60 EUR of bookings on the day it is confirmed.",
    ),
    (
        "customer-id",
        "Customer ID",
        None,
        "carla",
        APPROVED,
        "The stable key of a customer, issued by CRM at first contact and never reused. Every product that "
        "holds customer rows carries it so they can be joined.",
        ["Customer key", "Customer number"],
        ["CID"],
        "",
    ),
    (
        "active-customer",
        "Active Customer",
        None,
        "carla",
        APPROVED,
        "A customer with at least one delivered order in the last 12 months.",
        [],
        [],
        "",
    ),
    (
        "pii",
        "PII",
        None,
        "gloria",
        APPROVED,
        "Personally identifiable information: data that identifies a person directly (name, e-mail, address) "
        "or together with other data (date of birth). Columns holding PII are classified `pii` and masked for "
        "users without a GDPR clearance.",
        ["Personal data"],
        [],
        "",
    ),
    (
        "gross-margin-finance",
        "Gross Margin",
        "finance",
        "fiona",
        APPROVED,
        "Revenue minus the cost of goods sold, after allocation of freight and warehouse costs.",
        [],
        [],
        "",
    ),
    (
        "gross-margin-sales",
        "Gross Margin",
        "sales",
        "sam",
        APPROVED,
        "Bookings minus the list cost of the goods booked, at the moment of booking.",
        [],
        [],
        "",
    ),
    (
        "churn",
        "Churn",
        "crm",
        "carla",
        Term.Status.IN_REVIEW,
        "A customer who was active a year ago and has placed no order in the last 90 days.",
        ["Attrition"],
        [],
        "",
    ),
]


def seed(users: dict) -> None:
    Steward.objects.get_or_create(user=users["gloria"], domain=None)
    # Tom stewards CRM's terms; Carla, who owns the CRM team, appoints and removes CRM's stewards.
    Steward.objects.get_or_create(user=users["tom"], domain=Domain.objects.get(slug="crm"))
    terms = {}
    for key, name, domain_slug, author, status, definition, synonyms, abbreviations, examples in TERMS:
        domain = Domain.objects.get(slug=domain_slug) if domain_slug else None
        term = Term.objects.filter(domain=domain, name=name).first() or Term(domain=domain, name=name)
        term.definition, term.examples, term.author = definition, examples, users[author]
        if term.status != status:
            term.status = status
            if status == APPROVED:
                term.approved_by, term.approved_at = users["gloria"], timezone.now()
        term.save()
        services._aliases_set(term, synonyms, abbreviations)
        terms[key] = term
    TermRelation.objects.update_or_create(
        source=terms["revenue"],
        target=terms["bookings"],
        kind=TermRelation.Kind.DIFFERS_FROM,
        defaults={
            "explanation": "Bookings are orders confirmed by the customer, counted when confirmed; revenue is "
            "recognised on delivery, net of returns. A March booking delivered in April is April revenue.",
            "created_by": users["gloria"],
        },
    )
    TermRelation.objects.get_or_create(
        source=terms["active-customer"],
        target=terms["customer-id"],
        kind=TermRelation.Kind.RELATED_TO,
        defaults={"created_by": users["gloria"]},
    )
    TermRelation.objects.get_or_create(
        source=terms["churn"],
        target=terms["active-customer"],
        kind=TermRelation.Kind.RELATED_TO,
        defaults={"created_by": users["carla"]},
    )
    for domain, product, port in (("crm", "customer-360", "customers"), ("sales", "bookings", "order_lines")):
        field = SchemaField.objects.filter(
            port__product__domain__slug=domain, port__product__slug=product, port__name=port, name="customer_id"
        ).first()
        if field:
            TermLink.objects.update_or_create(
                field=field, defaults={"term": terms["customer-id"], "created_by": users["carla"]}
            )
    for domain, product, term_key in (("finance", "revenue", "revenue"), ("sales", "bookings", "bookings")):
        found = DataProduct.objects.filter(domain__slug=domain, slug=product).first()
        if found:
            TermLink.objects.get_or_create(term=terms[term_key], product=found)
    revenue_field = SchemaField.objects.filter(
        port__product__domain__slug="finance", port__product__slug="revenue", name="revenue_eur"
    ).first()
    if revenue_field:
        TermLink.objects.update_or_create(field=revenue_field, defaults={"term": terms["revenue"]})
    conflicts.conflicts_detect()
