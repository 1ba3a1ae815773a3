"""The exports' Excel workbooks, written with XlsxWriter in its constant-memory mode.

Sheets have a bold, filled, centred, frozen header row, set column widths, an autofilter over
the rows written, and per column a number format; values are text, numbers, booleans, dates
and naive datetimes. XlsxWriter streams each sheet's rows to a temporary file as they come
(``constant_memory``: one row in memory per sheet) and zips the package on ``save``; its text
cells are inline strings, so a text that starts with "=" stays text (``write_string``, never
``write``, which could make it a formula), and text past Excel's 32,767 characters is cut.

What this module adds: control characters dropped from text (XlsxWriter would keep them as
``_xHHHH_`` escapes), NaN and infinity as empty cells (XlsxWriter refuses them), any other
type of value refused with TypeError, widths kept in Excel's stored units (see add_sheet),
and XlsxWriter's temporary files kept in a directory of the workbook's own that goes on
``save``, on leaving ``with Workbook() as workbook:`` and when the workbook is collected
(XlsxWriter removes them only when it closes the workbook).
"""
import datetime as dt
import functools
import math
import re
import tempfile

import xlsxwriter

HEADER_FILL = "#F6E2E2"  # the programme's pale red, behind every header row
# Control characters: dropped from text. Tab, newline and carriage return stay (XlsxWriter stores a
# carriage return as Excel's escape _x000D_, which Excel and LibreOffice decode; openpyxl does not).
CONTROL_CHARACTERS = re.compile(r"[\000-\010\013\014\016-\037]")
# Pixels per unit of stored column width: the digit width of Calibri 11, the default font.
PIXELS_PER_WIDTH = 7


@functools.lru_cache(maxsize=8192)
def _clean_text(value):
    """``value`` without control characters. Cached: names repeat row after row."""
    return CONTROL_CHARACTERS.sub("", value)


class Sheet:
    """One worksheet: a header row, then ``append``ed rows, in order."""

    def __init__(self, worksheet, headers, formats, autofilter):
        self.autofilter = autofilter
        self.rows = 1
        self._worksheet = worksheet
        self._formats = formats
        self._columns = len(headers)

    def append(self, values):
        """Add a row: str, int, float, bool, date and datetime (naive: Excel has no time zones); None is empty."""
        self._write(self.rows, values, self._formats)
        self.rows += 1

    def _write(self, row, values, formats):
        ws = self._worksheet
        for col, (value, cell_format) in enumerate(zip(values, formats)):
            kind = type(value)
            if kind is str:
                if value:
                    ws.write_string(row, col, _clean_text(value), cell_format)
            elif value is None:
                continue
            elif kind is int or kind is float:
                if math.isfinite(value):
                    ws.write_number(row, col, value, cell_format)
            elif kind is dt.datetime or kind is dt.date:
                ws.write_datetime(row, col, value, cell_format)  # TypeError for an aware datetime
            elif kind is bool:
                ws.write_boolean(row, col, value, cell_format)
            else:
                raise TypeError(f"a workbook cell cannot hold {kind.__name__}: {value!r}")

    def _finish(self):
        if self.autofilter:
            self._worksheet.autofilter(0, 0, self.rows - 1, self._columns - 1)


class Workbook:
    """Sheets added in the order they show, each with a header row; ``save`` writes the .xlsx to
    ``output`` (a binary file or file-like object)."""

    def __init__(self, output):
        self.output = output
        self._tmpdir = tempfile.TemporaryDirectory(prefix="workbook-")
        self._book = xlsxwriter.Workbook(output, {"constant_memory": True, "tmpdir": self._tmpdir.name})
        self._header = self._book.add_format({"bold": True, "pattern": 1, "bg_color": HEADER_FILL,
                                              "align": "center", "valign": "vcenter"})
        self._number_formats = {}
        self.sheets = []

    def _number_format(self, code):
        if code is None:
            return None
        if code not in self._number_formats:
            self._number_formats[code] = self._book.add_format({"num_format": code})
        return self._number_formats[code]

    def add_sheet(self, title, headers, widths, number_formats=None, autofilter=True):
        """A sheet with a bold, filled, frozen header row; ``number_formats[i]`` (or None) formats column i.

        ``widths`` are Excel's stored column widths (as openpyxl writes them); XlsxWriter's
        set_column would add the cell padding (12 → 12.71), so they go in as pixels.
        """
        number_formats = number_formats or (None,) * len(headers)
        if not len(headers) == len(widths) == len(number_formats):
            raise ValueError("one width and one number format (or None) per header")
        worksheet = self._book.add_worksheet(title)
        worksheet.freeze_panes(1, 0)
        for col, width in enumerate(widths):
            worksheet.set_column_pixels(col, col, round(width * PIXELS_PER_WIDTH))
        sheet = Sheet(worksheet, headers, [self._number_format(code) for code in number_formats], autofilter)
        sheet._write(0, headers, [self._header] * len(headers))
        self.sheets.append(sheet)
        return sheet

    def save(self):
        """Write the package to ``output``; the temporary files go."""
        try:
            for sheet in self.sheets:
                sheet._finish()
            self._book.close()
        finally:
            self.discard()

    def discard(self):
        """Remove the temporary files (the rows written so far): for a workbook that will not be saved."""
        self._tmpdir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.discard()
