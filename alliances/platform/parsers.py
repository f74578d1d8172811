"""Request body parsers: hostile JSON is a 400, never a server error."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser


class JSONParser(DRFJSONParser):
    """DRF's JSON parser; a document nested too deep for the decoder is refused as malformed.

    ``json.loads`` raises RecursionError (not a ValueError) on e.g. 2,000 nested
    arrays, which DRF's parser lets through as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
