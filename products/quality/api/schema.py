"""OpenAPI description of the quality push API's ingest tokens."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IngestTokenScheme(OpenApiAuthenticationExtension):
    target_class = "products.quality.api.views.IngestTokenAuthentication"
    name = "productIngestToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token scoped to one product, made by its owners, for pipelines pushing check results.",
        }
