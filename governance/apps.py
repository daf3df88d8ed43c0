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
        from governance.selectors import notice_days_in_force
        from products.contracts.notice import notice_days_provider_register

        # The council's notice-period standard sets how long consumers are warned before breaking changes.
        notice_days_provider_register(notice_days_in_force)
