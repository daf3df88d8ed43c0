"""Who a user is, for every app: the two questions every permission module starts from."""


def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_portal_admin(user) -> bool:
    return bool(is_signed_in(user) and user.is_superuser)
