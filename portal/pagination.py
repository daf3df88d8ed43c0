"""Pages without a COUNT: a common search term over 100k rows must not cost a full count on every request.

We fetch one row more than the page holds; if it is there, there is a next page.
"""

from dataclasses import dataclass


@dataclass
class Page:
    items: list
    number: int
    size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def parse_positive_int(value, default: int, maximum: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if number < 1:
        return default
    return min(number, maximum) if maximum else number


MAX_PAGE = 10_000


def paginate(queryset, page_number, size: int) -> Page:
    number = parse_positive_int(page_number, 1, MAX_PAGE)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(items=rows[:size], number=number, size=size, has_next=len(rows) > size)
