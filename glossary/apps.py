from django.apps import AppConfig


class GlossaryConfig(AppConfig):
    name = "glossary"
    verbose_name = "Business glossary"

    def ready(self) -> None:
        from glossary import receivers, signals  # noqa: F401
        from glossary.permissions import declassification_stewards, declassifications_stewarded_q, is_steward
        from glossary.selectors import contract_term_definition_owned, contract_term_definitions
        from governance.models import Proposal
        from governance.permissions import proposal_drafters_register
        from products.contracts.export import column_definitions_register
        from products.contracts.permissions import declassification_reviewers_register

        receivers.connect_governance()
        receivers.connect_catalog()
        # Stewards put a term before the council without holding a seat.
        proposal_drafters_register(Proposal.Kind.ADOPT_TERM, is_steward)
        # Stewards review lowering a column's classification, with the data-protection officers.
        declassification_reviewers_register(
            reviewers=declassification_stewards, reviewable_q=declassifications_stewarded_q
        )
        # A column's approved term travels with its contract as an authoritative definition.
        column_definitions_register(definitions=contract_term_definitions, owns=contract_term_definition_owned)
