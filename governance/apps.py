from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance council and standards"

    def ready(self) -> None:
        from governance import receivers  # noqa: F401
