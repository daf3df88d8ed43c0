from importlib import import_module

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance council and standards"

    def import_models(self) -> None:
        super().import_models()
        import_module("governance.enforcement.models")  # same app, same tables and migrations

    def ready(self) -> None:
        from governance.enforcement import receivers  # noqa: F401 - re-evaluation on change, the publish gate
