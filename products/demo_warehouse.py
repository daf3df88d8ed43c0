"""The demo warehouse: a SQLite file with fake but realistic rows behind the demo products' ports.

``build(path)`` recreates it from a fixed seed, so every run gives the same rows. Table names are those the demo
ports point at (``DEMO_TABLES``).
"""

import random
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kaja",
    "Luca",
    "Mila",
    "Noah",
    "Olga",
    "Pedro",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
]
LAST = [
    "Keller",
    "Novak",
    "Rossi",
    "Dubois",
    "Jansen",
    "Moreau",
    "Silva",
    "Schmidt",
    "Kowalski",
    "Berg",
    "Costa",
    "Lindgren",
    "Horvat",
    "Nielsen",
    "Meyer",
    "Fischer",
    "Bauer",
    "Larsen",
]
COUNTRIES = ["DE", "FR", "NL", "PT", "ES", "IT", "SE", "DK", "PL", "AT"]
SKUS = [f"SKU-{n:04d}" for n in range(1001, 1031)]
CATEGORIES = ["grocery", "household", "garden", "toys", "apparel"]
STORES = [101, 102, 103, 104, 105]

# port (domain/slug/port name) → table in the demo warehouse
DEMO_TABLES = {
    ("crm", "customer-360", "customers"): "customer_360",
    ("sales", "bookings", "order_lines"): "bookings",
    ("finance", "revenue", "daily_revenue"): "revenue_daily",
    ("inventory", "inventory-levels", "stock_on_hand"): "stock_levels",
    ("supply-chain", "demand-forecast", "forecast"): "demand_forecast",
}


def customers(rng: random.Random, count: int = 50) -> list[tuple]:
    rows = []
    for customer_id in range(1, count + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first.lower()}.{last.lower()}{customer_id}@example.org"
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        rows.append(
            (
                customer_id,
                email,
                f"{first} {last}",
                born.isoformat(),
                rng.choice(COUNTRIES),
                round(rng.uniform(20, 8000), 2),
                int(rng.random() > 0.2),
            )
        )
    return rows


def build(path: Path, *, today: date | None = None) -> Path:
    """(Re)create the demo warehouse at ``path``; returns the path."""
    today = today or date.today()
    rng = random.Random(20240601)  # noqa: S311 - demo data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    with conn:
        conn.executescript(
            """
            CREATE TABLE customer_360 (customer_id INTEGER PRIMARY KEY, email TEXT, full_name TEXT,
                date_of_birth TEXT, country TEXT NOT NULL, lifetime_value REAL NOT NULL, is_active INTEGER NOT NULL);
            CREATE TABLE bookings (order_id INTEGER NOT NULL, customer_id INTEGER NOT NULL, sku TEXT NOT NULL,
                quantity INTEGER NOT NULL, net_amount REAL NOT NULL, booked_at TEXT NOT NULL);
            CREATE TABLE revenue_daily (day TEXT NOT NULL, store_id INTEGER NOT NULL, category TEXT NOT NULL,
                revenue_eur REAL NOT NULL);
            CREATE TABLE stock_levels (sku TEXT NOT NULL, location_id INTEGER NOT NULL, on_hand INTEGER NOT NULL,
                measured_at TEXT NOT NULL);
            CREATE TABLE demand_forecast (sku TEXT NOT NULL, store_id INTEGER NOT NULL, week TEXT NOT NULL,
                units REAL NOT NULL);
            """
        )
        conn.executemany("INSERT INTO customer_360 VALUES (?, ?, ?, ?, ?, ?, ?)", customers(rng))
        now = datetime.combine(today, datetime.min.time())
        bookings = []
        for order_id in range(5001, 5121):
            booked = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
            for _ in range(rng.randint(1, 3)):
                quantity = rng.randint(1, 6)
                bookings.append(
                    (
                        order_id,
                        rng.randint(1, 50),
                        rng.choice(SKUS),
                        quantity,
                        round(quantity * rng.uniform(2, 60), 2),
                        booked.isoformat(sep=" "),
                    )
                )
        conn.executemany("INSERT INTO bookings VALUES (?, ?, ?, ?, ?, ?)", bookings)
        revenue = [
            ((today - timedelta(days=day)).isoformat(), store, category, round(rng.uniform(800, 12000), 2))
            for day in range(1, 31)
            for store in STORES
            for category in CATEGORIES[:3]
        ]
        conn.executemany("INSERT INTO revenue_daily VALUES (?, ?, ?, ?)", revenue)
        stock = [
            (sku, location, rng.randint(0, 400), (now - timedelta(minutes=rng.randint(1, 14))).isoformat(sep=" "))
            for sku in SKUS
            for location in STORES
        ]
        conn.executemany("INSERT INTO stock_levels VALUES (?, ?, ?, ?)", stock)
        monday = today - timedelta(days=today.weekday())
        forecast = [
            (sku, store, (monday + timedelta(weeks=week)).isoformat(), round(rng.uniform(5, 120), 1))
            for sku in SKUS[:10]
            for store in STORES
            for week in range(1, 13)
        ]
        conn.executemany("INSERT INTO demand_forecast VALUES (?, ?, ?, ?)", forecast)
    conn.close()
    tmp.replace(path)
    return path
