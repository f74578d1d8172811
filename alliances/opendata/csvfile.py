"""The one CSV writer of the project: API answers, command output and every file of a release.

One rule for all of them: a text cell a spreadsheet would run as a formula (CSV
injection) is neutralised with a leading apostrophe, as OWASP advises and
django-import-export does for the admin's export. Numbers are not text: the
panel's ``-1`` stays a number.
"""

import csv

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
        self._open_writer = csv.writer(handle, lineterminator="")
        self._cell = cell

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
        cells = [neutralised(value) for value in row]
        if self._cell is not None:
            cells = [self._cell(value) for value in cells]
        self._open_writer.writerow(cells)
        self._handle.write("," + numbers + "\n")
