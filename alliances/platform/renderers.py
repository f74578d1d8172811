"""The API's renderers: JSON (bodies assembled from pre-rendered parts included) and CSV.

CSV has one row per item, nested fields flattened to dotted columns.
"""

import io

import orjson
from rest_framework import renderers, serializers
from rest_framework.renderers import BaseRenderer

from alliances.opendata import csvfile

# JavaScript reads U+2028 and U+2029 as line ends: DRF's JSONRenderer escapes them, so dumps does too.
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


def dumps(value):
    """``value`` as the bytes DRF's JSONRenderer gives (compact, UTF-8, U+2028/9 escaped), by orjson.

    orjson also writes ``orjson.Fragment`` (JSON rendered before) as it is, so a
    body can be assembled from parts rendered once. Values are the plain types a
    serializer's ``data`` holds (str, int, bool, None, lists, dicts).
    """
    body = orjson.dumps(value)
    for raw, escaped in _LINE_SEPARATORS:
        if raw in body:
            body = body.replace(raw, escaped)
    return body


class Assembled(dict):
    """A response body holding pre-rendered parts (``orjson.Fragment``, made by ``dumps``): ``JSONRenderer`` writes it.

    Only the values around the parts are checked for U+2028/9: scanning a whole
    75 KB body for them cost more (~0.2 ms) than rendering it.
    """

    def render(self):
        return orjson.dumps(_escaped(self))


def _escaped(value):
    """``value`` with every string holding U+2028/9 replaced by its escaped JSON (fragments are escaped already)."""
    if isinstance(value, str):
        return orjson.Fragment(dumps(value)) if "\u2028" in value or "\u2029" in value else value
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(item) for item in value]
    return value


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, which also writes an ``Assembled`` body (the read model's answers)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, Assembled):
            body = data.render()
            if self.get_indent(accepted_media_type, renderer_context or {}) is None:
                return body
            data = orjson.loads(body)  # an indented body (``; indent=4``): DRF's own rendering of the same data
        return super().render(data, accepted_media_type, renderer_context)


def _flatten(value, prefix, row, object_lists=None):
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, row, object_lists)
    elif isinstance(value, list):
        if not value and object_lists and prefix in object_lists:
            # An empty list of objects: the same columns as a full one, so every row has the same columns.
            for key in object_lists[prefix]:
                row[f"{prefix}.{key}"] = ""
        elif value and all(isinstance(item, dict) for item in value):
            # A list of objects becomes one column per field, values joined in order.
            keys = list(dict.fromkeys(k for item in value for k in item))
            for key in keys:
                row[f"{prefix}.{key}"] = " | ".join(
                    "" if item.get(key) is None else str(item.get(key)) for item in value
                )
        else:
            row[prefix] = " | ".join("" if item is None else str(item) for item in value)
    else:
        row[prefix] = "" if value is None else value


def object_list_fields(items):
    """Field name -> keys of its objects, for each list-of-objects field of the serializer behind ``items``."""
    serializer = getattr(items, "serializer", None)
    serializer = getattr(serializer, "child", serializer)
    fields = getattr(serializer, "fields", None) or {}
    return {
        name: list(field.child.fields)
        for name, field in fields.items()
        if isinstance(field, serializers.ListField) and isinstance(field.child, serializers.Serializer)
    }


def rows_of(data):
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        items = holder = data["results"]
    elif isinstance(data, list):
        items = holder = data
    else:
        items, holder = [data], data
    object_lists = object_list_fields(holder)
    rows = []
    for item in items:
        row = {}
        _flatten(item, "", row, object_lists)
        rows.append(row)
    return rows


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        rows = rows_of(data)
        columns = list(dict.fromkeys(key for row in rows for key in row))
        out = io.StringIO()
        writer = csvfile.Writer(out)  # neutralises formulas: the one rule of every CSV
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(column, "") for column in columns])
        return out.getvalue().encode(self.charset)


def columns_of(serializer, prefix=""):
    """The CSV columns of a serializer's items, in field order, as ``rows_of`` names them.

    Known before any row is read, so a streamed file has its header first and
    every row the same columns (an item without sources has empty ``sources.*`` cells).
    """
    fields = getattr(serializer, "child", serializer).fields
    columns = []
    for name, field in fields.items():
        if field.write_only:
            continue
        key = f"{prefix}.{name}" if prefix else name
        inner = getattr(field, "child", field)
        if hasattr(inner, "fields"):
            columns += columns_of(inner, key)
        else:
            columns.append(key)
    return columns


class _Line:
    """A file-like target for a CSV writer that hands back what was written."""

    def write(self, value):
        return value


def stream_csv(columns, items, represent):
    """CSV text, one chunk per row after the header, for ``items`` rendered by ``represent``.

    Memory stays bounded by one row: nothing is collected, the caller iterates
    the queryset in chunks.
    """
    writer = csvfile.Writer(_Line())  # neutralises formulas: the one rule of every CSV
    yield writer.writerow(columns)
    for item in items:
        row = {}
        _flatten(represent(item), "", row)
        yield writer.writerow([row.get(column, "") for column in columns])
