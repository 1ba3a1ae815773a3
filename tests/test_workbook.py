"""server.workbook, the exports' streamed xlsx writer (XlsxWriter): what it writes, openpyxl reads back
the same — values and their types, number formats, the header's look, widths, frozen header,
autofilter — and text stays text (escaped, never a formula), however many rows."""
import datetime as dt
import io
import math
import os
import re
import zipfile
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from server.workbook import Workbook

EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def as_excel_reads(text):
    """Text as Excel reads it: a carriage return is stored as Excel's escape _x000D_ (and a literal
    "_x0041_" as "_x005F_x0041_"), which Excel decodes and openpyxl does not."""
    return EXCEL_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def widths(ws, letters):
    """Each column's width: XlsxWriter writes one <col> for adjacent columns of the same width,
    which openpyxl keys under the first one's letter (with min and max)."""
    by_index = {}
    for dimension in ws.column_dimensions.values():
        if dimension.customWidth:
            for index in range(dimension.min, dimension.max + 1):
                by_index[index] = dimension.width
    return [by_index.get(column_index_from_string(letter)) for letter in letters]


def saved(book):
    book.save()
    book.output.seek(0)
    return book.output


def test_values_formats_and_header_read_back():
    book = Workbook(io.BytesIO())
    sheet = book.add_sheet("明细", ["姓名", "日期", "签到", "小时", "次数", "是否"], (12, 12, 17, 10, 8, 6),
                           (None, "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "0.00", None, None))
    sheet.append(["甲站党员", dt.date(2026, 9, 1), dt.datetime(2026, 9, 1, 9, 30), 4.25, 3, True])
    sheet.append(["王志愿", dt.date(1999, 12, 31), dt.datetime(2026, 10, 1, 23, 59, 59), 8.0, 0, False])
    sheet.append([None, "", None, None, None, None])
    read = load_workbook(saved(book))
    assert read.sheetnames == ["明细"]
    ws = read["明细"]
    assert [c.value for c in ws[1]] == ["姓名", "日期", "签到", "小时", "次数", "是否"]
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("F6E2E2") and c.alignment.horizontal == "center"
               for c in ws[1])
    assert [c.value for c in ws[2]] == ["甲站党员", dt.datetime(2026, 9, 1), dt.datetime(2026, 9, 1, 9, 30), 4.25, 3, True]
    assert [c.value for c in ws[3]] == ["王志愿", dt.datetime(1999, 12, 31), dt.datetime(2026, 10, 1, 23, 59, 59), 8, 0,
                                        False]
    assert type(ws["D3"].value) is int  # 8.0 reads back as 8, as openpyxl writes it
    assert ws.max_row == 3  # the empty row is there but has no cells
    assert (ws["B2"].is_date, ws["B2"].number_format) == (True, "yyyy-mm-dd")
    assert (ws["C2"].is_date, ws["C2"].number_format) == (True, "yyyy-mm-dd hh:mm")
    assert ws["D2"].number_format == "0.00" and ws["E2"].number_format == "General"
    assert ws["A2"].font.b is False and ws["A2"].fill.fill_type is None
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:F4"
    assert widths(ws, "ABCDEF") == [12, 12, 17, 10, 8, 6]


def test_text_is_escaped_and_never_a_formula():
    book = Workbook(io.BytesIO())
    sheet = book.add_sheet("文本", ["a"], (10,))
    texts = ['=HYPERLINK("http://x")', "+引导", "a < b & c > d", "  前后空格 ", "第一行\r\n第二行", "<is>&amp;</is>",
             "_x0041_ 不是 A"]  # Excel's escape for a character, written as text, stays text
    for text in texts:
        sheet.append([text])
    sheet.append(["响\x00铃\x07跳\x1b格\tA"])  # characters XML 1.0 cannot carry are dropped; tab and newline stay
    ws = load_workbook(saved(book))["文本"]
    values = [as_excel_reads(ws.cell(row=row, column=1).value) for row in range(2, 2 + len(texts) + 1)]
    assert values == [*texts, "响铃跳格\tA"]
    assert all(ws.cell(row=row, column=1).data_type == "s" for row in range(2, 2 + len(texts) + 1))


def test_sheets_keep_their_order_and_their_own_filters():
    book = Workbook(io.BytesIO())
    summary = book.add_sheet("汇总", ["姓名", "时长"], (12, 10), (None, "0.00"))
    detail = book.add_sheet("明细", ["姓名", "日期", "分钟"], (12, 12, 8), (None, "yyyy-mm-dd", None),
                            autofilter=False)
    detail.append(["甲", dt.date(2026, 1, 2), 60])  # rows go to either sheet in any order
    summary.append(["甲", 1.0])
    detail.append(["甲", dt.date(2026, 1, 3), 30])
    data = saved(book)
    read = load_workbook(data)
    assert read.sheetnames == ["汇总", "明细"]
    assert read["汇总"].auto_filter.ref == "A1:B2" and read["明细"].auto_filter.ref is None
    assert [row for row in read["明细"].values] == [("姓名", "日期", "分钟"), ("甲", dt.datetime(2026, 1, 2), 60),
                                                  ("甲", dt.datetime(2026, 1, 3), 30)]
    # Every part is well-formed XML.
    with zipfile.ZipFile(data) as package:
        for name in package.namelist():
            ElementTree.fromstring(package.read(name))


def test_empty_sheet_has_its_header_only():
    book = Workbook(io.BytesIO())
    book.add_sheet("空", ["a", "b"], (5, 5))
    ws = load_workbook(saved(book))["空"]
    assert list(ws.values) == [("a", "b")] and ws.auto_filter.ref == "A1:B1"


def spooled_bytes(book):
    """Bytes in the workbook's temporary files (its rows on disk)."""
    folder = book._tmpdir.name
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder)) if os.path.isdir(folder) else 0


def test_many_rows_spool_to_disk_and_come_back_in_order():
    book = Workbook(io.BytesIO())
    sheet = book.add_sheet("多", ["n", "名", "时"], (6, 6, 17), (None, None, "yyyy-mm-dd hh:mm"))
    start = dt.datetime(2026, 1, 1, 8)
    for n in range(5000):
        sheet.append([n, f"志愿者{n % 37}", start + dt.timedelta(minutes=7 * n)])
    assert len(sheet._worksheet.table) <= 1  # one row in memory, the others on disk
    assert spooled_bytes(book) > 200_000
    rows = list(load_workbook(saved(book))["多"].values)[1:]
    assert spooled_bytes(book) == 0  # saved: the temporary files are gone
    assert len(rows) == 5000
    assert all(row == (n, f"志愿者{n % 37}", start + dt.timedelta(minutes=7 * n)) for n, row in enumerate(rows))


def test_an_abandoned_workbook_leaves_no_temporary_files():
    with pytest.raises(RuntimeError), Workbook(io.BytesIO()) as book:
        sheet = book.add_sheet("x", ["a"], (5,))
        for n in range(3000):
            sheet.append([f"第{n}行"])
        assert spooled_bytes(book) > 0
        raise RuntimeError("the export failed half way")
    assert not os.path.exists(book._tmpdir.name)


def test_text_longer_than_excel_holds_is_cut():
    book = Workbook(io.BytesIO())
    book.add_sheet("x", ["a"], (5,)).append(["长" * 40_000])
    assert list(load_workbook(saved(book))["x"].values)[1] == ("长" * 32_767,)


@pytest.mark.parametrize("value", [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), object(), b"bytes"])
def test_values_excel_cannot_hold_are_refused(value):
    sheet = Workbook(io.BytesIO()).add_sheet("x", ["a"], (5,))
    with pytest.raises(TypeError):
        sheet.append([value])


def test_nan_and_infinity_are_empty_cells():
    book = Workbook(io.BytesIO())
    book.add_sheet("x", ["a", "b", "c"], (5, 5, 5)).append([math.nan, math.inf, 1.5])
    assert list(load_workbook(saved(book))["x"].values)[1] == (None, None, 1.5)


def test_one_width_and_format_per_column():
    with pytest.raises(ValueError):
        Workbook(io.BytesIO()).add_sheet("x", ["a", "b"], (5,))
