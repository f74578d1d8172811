"""The one CSV writer of the project: API answers, command output and every file of a release.

One rule for all of them: a text cell a spreadsheet would run as a formula (CSV
injection) is neutralised with a leading apostrophe, as OWASP advises and
django-import-export does for the admin's export. Numbers are not text: the
panel's ``-1`` stays a number.
"""

import csv
import io

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value):
    """``value`` with a leading apostrophe if it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Writer:
    """``csv.writer`` whose rows are neutralised cell by cell, then formatted by ``cell``."""

    def __init__(self, handle, *, cell=None):
        self._handle = handle
        self._writer = csv.writer(handle, lineterminator="\n")
        self._cell = cell
        self._cache = {}

    def writerow(self, row):
        cells = [neutralised(value) for value in row]
        if self._cell is not None:
            cells = [self._cell(value) for value in cells]
        return self._writer.writerow(cells)

    def writerow_joined(self, row, numbers):
        """``row`` as ``writerow`` writes it, then ``numbers``: integers already joined by commas.

        For the million-row dyadic table: integers need neither quoting nor neutralising,
        so a run of them shared by many rows is joined once, not cell by cell.
        """
        self._handle.write(",".join(self._rendered(value) for value in row) + "," + numbers + "\n")

    def _rendered(self, value):
        """One cell as ``writerow`` writes it, kept per distinct value: the dyads repeat a few hundred codes."""
        key = (type(value), value)
        text = self._cache.get(key)
        if text is None:
            cell = neutralised(value)
            if self._cell is not None:
                cell = self._cell(cell)
            buffer = io.StringIO()
            # A row of one empty cell is written '""' (so that it is not an empty line); in a longer row, nothing.
            csv.writer(buffer, lineterminator="").writerow([cell, ""])
            text = self._cache[key] = buffer.getvalue()[:-1]
        return text
