from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page-number pagination whose bad input is a 400 naming the parameter."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param, "1")
        if value in self.last_page_strings:
            return paginator.num_pages
        # isdigit() alone accepts "²", which int() refuses.
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise ValidationError(
                {self.page_query_param: [f"A page number is a whole number from 1; got “{value[:50]}”."]}
            )
        return value

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A page size is a whole number from 1 to {self.max_page_size}."]}
            )
        return int(value)
