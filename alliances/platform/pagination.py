from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, Window
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

# Beyond this many digits a page number is past the last page of any data set this
# service holds, and int() of a long enough string raises (Python's 4,300-digit limit).
MAX_PAGE_DIGITS = 12
# A page whose first row is this far in is checked against the count before it is
# read: the database's OFFSET is a 64-bit integer (9223372036854775808 overflowed it).
MAX_UNCHECKED_OFFSET = 2**31


def page_digits(value):
    """A page number without its leading zeros, or None if ``value`` is not a whole number from 1."""
    # isdigit() alone accepts "²", which int() refuses.
    digits = value.lstrip("0")
    if not (value.isascii() and value.isdigit()) or not digits:
        return None
    return digits


class Pagination(PageNumberPagination):
    """Page-number pagination whose bad input is a 400 naming the parameter."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        self.view = view
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        """The page, with what the list is about (``list_header()`` of the view: its day and statuses)
        and RFC 8288 ``Link`` headers to the next, previous, first and last pages."""
        response = super().get_paginated_response(data)
        header = self.view.list_header() if hasattr(self.view, "list_header") else {}
        if header:
            body = response.data
            response.data = {"count": body["count"], **header, **{k: v for k, v in body.items() if k != "count"}}
        links = self.page_links()
        if links:
            response["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links)
        return response

    def page_links(self):
        links = []
        for rel, url in (("next", self.get_next_link()), ("prev", self.get_previous_link())):
            if url:
                links.append((rel, url))
        url = self.base_url()
        for rel, number in (("first", 1), ("last", self.page.paginator.num_pages)):
            links.append((rel, self.page_url(url, number)))
        return links

    def page_url(self, url, number):
        return replace_query_param(url, self.page_query_param, number)

    def base_url(self):
        """The URL the page links vary: the read's canonical URL (alliances/platform/readkey.py), so every
        spelling of one page (parameters repeated, reordered, ``page=01``) gets the same links, and one
        cache entry serves them all; the request's own URL when the read has no key."""
        read = getattr(getattr(self, "view", None), "read", None)
        if read is not None and read.origin:
            return read.url()
        return self.request.build_absolute_uri()

    def get_next_link(self):
        if not self.page.has_next():
            return None
        return replace_query_param(self.base_url(), self.page_query_param, self.page.next_page_number())

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        number = self.page.previous_page_number()
        if number == 1:
            return remove_query_param(self.base_url(), self.page_query_param)
        return replace_query_param(self.base_url(), self.page_query_param, number)

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param, "1")
        if value in self.last_page_strings:
            return paginator.num_pages
        digits = page_digits(value)
        if digits is None:
            raise ValidationError(
                {self.page_query_param: [f"A page number is a whole number from 1; got “{value[:50]}”."]}
            )
        if len(digits) > MAX_PAGE_DIGITS:
            raise NotFound(self.invalid_page_message)  # as for any page past the last
        return digits

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not self.page_size_is_valid(value):
            raise ValidationError(
                {self.page_size_query_param: [f"A page size is a whole number from 1 to {self.max_page_size}."]}
            )
        return int(value)

    def page_size_is_valid(self, value):
        return value.isascii() and value.isdigit() and len(value) <= 9 and 1 <= int(value) <= self.max_page_size

    def page_is_valid(self, value):
        """Whether ``get_page_number`` takes ``value`` (a page past the last one is valid here: 404 later)."""
        digits = page_digits(value)
        return value in self.last_page_strings or (digits is not None and len(digits) <= MAX_PAGE_DIGITS)

    def query_readers(self):
        """How the page parameters are read, for the cache key (alliances/platform/readkey.py): one
        spelling per page ("01" is "1", and "1" is no page at all) and per page size (the default is none)."""

        def page(values):
            value = values[-1]
            digits = page_digits(value)
            if digits is None:
                return [value]  # an error (400), or "last": kept as given
            return [] if digits == "1" else [digits]

        def page_size(values):
            value = values[-1]
            if not self.page_size_is_valid(value):
                return [value]
            return [] if int(value) == self.page_size else [str(int(value))]

        return {self.page_query_param: page, self.page_size_query_param: page_size}

    def ignored_query_readers(self):
        """For an answer that ignores the page parameters (a CSV download streams every row): valid values
        are dropped from the key; invalid ones are kept, as the answer to them is a 400 or a 404."""

        def page(values):
            return [] if self.page_is_valid(values[-1]) else values[-1:]

        def page_size(values):
            return [] if self.page_size_is_valid(values[-1]) else values[-1:]

        return {self.page_query_param: page, self.page_size_query_param: page_size}


class WindowCountPaginator(DjangoPaginator):
    """Reads a page and the total in one query, with COUNT(*) OVER ().

    Saves the separate COUNT query on every page that has rows; an empty page
    falls back to it to decide between "no results" and "no such page". Not for
    DISTINCT querysets, where the window would count duplicates.
    """

    def page(self, number):
        if isinstance(self.object_list, list):  # rows already in memory (the read model): nothing to save
            return super().page(number)
        number = int(number)
        bottom = (number - 1) * self.per_page
        if bottom > MAX_UNCHECKED_OFFSET:
            return super().page(number)  # past the last page: EmptyPage, which DRF answers with a 404
        rows = list(self.object_list.annotate(_total=Window(Count("pk")))[bottom : bottom + self.per_page])
        if not rows:
            return super().page(number)
        self.count = rows[0]._total  # fills the cached property, so no COUNT query runs
        return self._get_page(rows, number, self)


class WindowCountPagination(Pagination):
    django_paginator_class = WindowCountPaginator


class StatusesMixin:
    """The page also says which membership statuses the list counts (``statuses``, set by the view)."""

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["statuses"] = {
            "type": "array",
            "items": {"type": "string"},
            "description": "Statuses included.",
        }
        return paginated


class StatusesPagination(StatusesMixin, Pagination):
    pass


class StatusesWindowCountPagination(StatusesMixin, WindowCountPagination):
    pass
