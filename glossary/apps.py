from django.apps import AppConfig


class GlossaryConfig(AppConfig):
    name = "glossary"
    verbose_name = "Business glossary"

    def ready(self) -> None:
        from glossary import receivers, signals  # noqa: F401

        receivers.connect_governance()
