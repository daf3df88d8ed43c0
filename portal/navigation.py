"""The main navigation. An entry whose page does not exist (its URL name does not resolve) is not shown."""

NAV_ITEMS = [
    ("Catalog", "products:catalog"),
    ("Glossary", "glossary:term-list"),
    ("Council", "governance:council-detail"),
    ("Standards", "governance:standard-list"),
    ("Compliance", "governance:compliance-dashboard"),
    ("My access", "products:my-access"),
    ("Teams", "products:team-list"),
]
