"""Demo personas for a retail company. Every demo account uses the same known password."""

from django.contrib.auth import get_user_model

DEMO_PASSWORD = "mesh-demo"  # noqa: S105 - published in the README for the demo only

# username: (first name, last name, role description, superuser)
PERSONAS = {
    "admin": ("Ada", "Admin", "portal administrator", True),
    "carla": ("Carla", "Reyes", "owner, CRM", False),
    "tom": ("Tom", "Becker", "team member, CRM; owner, CRM Analytics; CRM steward", False),
    "sam": ("Sam", "Okafor", "owner, Sales", False),
    "fiona": ("Fiona", "Walsh", "owner, Finance", False),
    "ivan": ("Ivan", "Petrov", "owner, Inventory", False),
    "sofia": ("Sofia", "Lindqvist", "owner, Supply Chain", False),
    "ana": ("Ana", "Silva", "analyst", False),
    "chris": ("Chris", "Morgan", "council chair", False),
    "gloria": ("Gloria", "Chen", "glossary steward", False),
    "dora": ("Dora", "Nowak", "data protection officer", False),
}


def seed_users() -> dict:
    User = get_user_model()
    users = {}
    for username, (first, last, _role, superuser) in PERSONAS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff = superuser
        user.is_superuser = superuser
        user.save()
        users[username] = user
    return users
