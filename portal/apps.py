from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Text columns in every API take JSON strings only: DRF would otherwise store 0 or true as "0"/"True".
        from django.db import models
        from rest_framework import serializers

        from portal.api.fields import StrictCharField

        for model_field in (models.CharField, models.TextField, models.SlugField):
            if serializers.ModelSerializer.serializer_field_mapping[model_field] is serializers.CharField:
                serializers.ModelSerializer.serializer_field_mapping[model_field] = StrictCharField
