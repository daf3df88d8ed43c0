"""Readiness: whether this web process can serve requests now. ``/healthz`` stays a liveness check (the process
answers; it touches nothing), so a load balancer restarts nothing while the database is away; ``/readyz`` checks the
database and the broker with short timeouts (django-health-check), so it takes the process out of rotation instead.

``/readyz`` answers JSON: 200 with every check "OK", or 503 with ``Retry-After`` naming what failed.
"""

import dataclasses
import datetime

from django.conf import settings
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

READY_TIMEOUT = datetime.timedelta(seconds=3)


@dataclasses.dataclass
class DatabaseReady(Database):
    """``SELECT 1`` on a connection of its own (PostgreSQL's ``connect_timeout`` bounds a connect to a dead host)."""

    timeout = READY_TIMEOUT

    def __repr__(self) -> str:
        return "database"


@dataclasses.dataclass
class BrokerReady(HealthCheck):
    """Connect to the Celery broker and, on Redis, PING it: a hung broker (port open, process stopped) fails here
    within the socket timeout, as a publish would."""

    timeout = READY_TIMEOUT

    def __repr__(self) -> str:
        return "broker"

    def run(self) -> None:
        from portal.celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=settings.MESH_BROKER_TIMEOUT)
                if connection.transport.driver_type == "redis":
                    connection.default_channel.client.ping()
        except Exception as error:
            raise ServiceUnavailable(f"the broker did not answer ({type(error).__name__})") from error


class ReadinessView(HealthCheckView):
    checks = (DatabaseReady, BrokerReady)

    async def dispatch(self, request, *args, **kwargs):
        response = await super().dispatch(request, *args, **kwargs)
        if response.status_code == 500:  # the library's "a check failed"; a load balancer reads 503 as "not now"
            response.status_code = 503
            response["Retry-After"] = "5"
        return response

    def render_to_response(self, context, **kwargs):
        # JSON whatever the Accept header: the HTML page's context processors would need the database.
        return self.render_to_response_json(kwargs.get("status", 200))
