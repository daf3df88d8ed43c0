from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal.lookups import lookups_register

        lookups_register()

        # Text columns in every API take JSON strings only: DRF would otherwise store 0 or true as "0"/"True".
        from django.db import models
        from rest_framework import serializers

        from portal.api.fields import StrictCharField

        for model_field in (models.CharField, models.TextField, models.SlugField):
            if serializers.ModelSerializer.serializer_field_mapping[model_field] is serializers.CharField:
                serializers.ModelSerializer.serializer_field_mapping[model_field] = StrictCharField

        # JSON typed into the admin gets the API's limits (too deep, NUL: a form error, not a 500). The admins
        # registered by now copied the defaults already; inlines are built per request and read them then.
        from django.contrib import admin
        from django.contrib.admin import options

        from portal.forms import JSONInputField

        json_form_field = {"form_class": JSONInputField}
        options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.JSONField] = json_form_field
        for model_admin in admin.site._registry.values():
            model_admin.formfield_overrides.setdefault(models.JSONField, json_form_field)
