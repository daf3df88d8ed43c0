from functools import cache

from django.urls import NoReverseMatch, reverse

from portal.navigation import NAV_ITEMS


@cache
def _resolved_nav() -> tuple[tuple[str, str], ...]:
    items = []
    for label, url_name in NAV_ITEMS:
        try:
            items.append((label, reverse(url_name)))
        except NoReverseMatch:
            continue
    return tuple(items)


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_items": ()}
    from portal.selectors import notification_unread_count

    items = _resolved_nav()
    # The entry whose address is the longest prefix of this page is the current one.
    matches = [url for _label, url in items if request.path.startswith(url)]
    current = max(matches, key=len) if matches else None
    return {
        "nav_items": [(label, url, url == current) for label, url in items],
        "unread_notifications": notification_unread_count(user=user),
    }
