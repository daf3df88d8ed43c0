"""The home dashboard: part of the composition root, so it may ask the catalog what to show."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from portal.selectors import notification_list
from products.selectors import home_summary


@login_required
def home(request):
    context = home_summary(user=request.user)
    context["notifications"] = list(notification_list(user=request.user, unread_only=True)[:5])
    return render(request, "portal/home.html", context)
