from django.apps import AppConfig


class GlossaryConfig(AppConfig):
    name = "glossary"
    verbose_name = "Business glossary"

    def ready(self) -> None:
        from glossary import receivers, signals  # noqa: F401
        from glossary.permissions import is_steward
        from governance.models import Proposal
        from governance.permissions import proposal_drafters_register

        receivers.connect_governance()
        # Stewards put a term before the council without holding a seat.
        proposal_drafters_register(Proposal.Kind.ADOPT_TERM, is_steward)
