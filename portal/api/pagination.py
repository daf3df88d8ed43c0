from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from portal.pagination import paginate, parse_positive_int


class PagePagination(BasePagination):
    """Page-number pagination without a total count (one extra row tells whether a next page exists).

    ``?page=N&page_size=M``; the page size is capped at ``max_page_size``.
    """

    page_size = 25
    max_page_size = 100
    page_query_param = "page"
    page_size_query_param = "page_size"

    def _positive(self, request, name: str) -> None:
        value = request.query_params.get(name)
        if value is not None and not (value.isdigit() and int(value) >= 1):
            raise ValidationError({name: ["Must be a whole number of at least 1."]})

    def paginate_queryset(self, queryset, request, view=None):
        self._positive(request, self.page_query_param)
        self._positive(request, self.page_size_query_param)
        size = parse_positive_int(
            request.query_params.get(self.page_size_query_param), self.page_size, self.max_page_size
        )
        self.request = request
        self.page = paginate(queryset, request.query_params.get(self.page_query_param), size)
        return self.page.items

    def _link(self, number: int | None):
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.page.next_number if self.page.has_next else None),
                "previous": self._link(self.page.previous_number if self.page.has_previous else None),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page; larger values are capped at {self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
