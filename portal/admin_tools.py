"""What every app's admin shares: actions and forms that go through the services, with refusals as messages."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect

from portal.errors import DomainError


def run_per_row(modeladmin, request, queryset, call, done: str) -> None:
    """An admin action: run a service per selected row (the services check permissions and transitions, as on
    every other path); refusals are listed, the rest counted."""
    succeeded = 0
    for obj in queryset:
        try:
            call(obj)
        except (DomainError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{obj}: {error}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)


class ServiceSaveMixin:
    """For admins whose ``save_model`` calls a service: a refusal rolls the whole form back (the view is atomic)
    and comes back as an error message on the same page, never as a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, PermissionDenied) as error:
            self.message_user(request, getattr(error, "message", None) or str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
