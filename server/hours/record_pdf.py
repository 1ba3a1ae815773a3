"""Drawing the hours record (志愿服务时长记录) as an A4 PDF with fpdf2.

Page 1 names the member and the totals; a table lists every approved shift with the national
volunteer-record fields and repeats its header on each page. Every page's footer carries the
statement that this is this system's record (not the national platform's certificate), the
page number and the verification QR, drawn as vector squares so it prints sharp at any size.
"""
from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode

from server.hours.entries import hours_text, political_status
from server.messages import HOURS_RECORD as T
from server.qr.fonts import font_file
from server.qr.signs import qr_matrix, wrap

FONT = "cjk"
RED = (200, 16, 46)
GREY = (90, 90, 90)
LIGHT_RED = (253, 241, 241)
HEADER_FILL = (246, 226, 226)
ZEBRA = (247, 247, 247)
MARGIN = 15
FOOTER_MM = 34
QR_MM = 24
# 序号, 活动/岗位, 服务日期, 服务地点, 服务内容, 服务时长, 组织单位, 审核人 (sums to 180 mm).
COLUMN_WIDTHS = (8, 26, 20, 33, 31, 17, 23, 22)
CELL_PADDING_X = 1
STAR, NO_STAR = "★", "☆"


class RecordPdf(FPDF):
    """An A4 portrait record whose every page ends with the statement, page number and QR."""

    def __init__(self, url, record_no):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.url = url
        self.record_no = record_no
        for style, weight in (("", "regular"), ("B", "bold")):
            path, index = font_file(weight)
            self.add_font(FONT, style, path, collection_font_number=index)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=FOOTER_MM + 4)
        self.set_creator("Red Station")
        self.set_title(T["title"])

    def footer(self):
        top = self.h - FOOTER_MM
        self.set_draw_color(*RED)
        self.set_line_width(0.4)
        self.line(MARGIN, top, self.w - MARGIN, top)
        qr_x = self.w - MARGIN - QR_MM
        self.draw_qr(self.url, qr_x, top + 2.5, QR_MM)
        self.set_xy(qr_x, top + 2.5 + QR_MM)
        self.set_font(FONT, "", 7)
        self.set_text_color(*GREY)
        self.cell(QR_MM, 4, T["scan_to_verify"], align="C")
        text_width = qr_x - MARGIN - 5
        self.set_xy(MARGIN, top + 4)
        self.set_font(FONT, "B", 8.5)
        self.set_text_color(*RED)
        self.multi_cell(text_width, 4.6, T["statement"], new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*GREY)
        self.set_x(MARGIN)
        self.multi_cell(text_width, 4, T["verify_hint"].format(url=self.url), new_x="LMARGIN", new_y="NEXT",
                        wrapmode=WrapMode.CHAR)
        self.set_x(MARGIN)
        self.cell(text_width, 4, f"{T['record_no']}：{self.record_no}    "
                  + T["page"].format(page=self.page_no(), pages="{nb}"))
        self.set_text_color(0)

    def draw_qr(self, url, x, y, size):
        """The code of ``url`` as filled squares (quiet zone included in ``size``)."""
        matrix = qr_matrix(url)
        module = size / len(matrix)
        # A hair of overlap, so no light seam shows between rows when a viewer antialiases.
        seam = module * 0.04
        self.set_fill_color(255)
        self.rect(x, y, size, size, style="F")
        self.set_fill_color(0)
        for row_index, row in enumerate(matrix):
            column = 0
            while column < len(row):
                if not row[column]:
                    column += 1
                    continue
                run = column
                while run < len(row) and row[run]:
                    run += 1
                self.rect(x + column * module, y + row_index * module, (run - column) * module + seam,
                          module + seam, style="F")
                column = run


def stars(level):
    """★★★☆☆ and the level's name."""
    return f"{STAR * level}{NO_STAR * (5 - level)}  {T['star_names'][level]}"


def render_record(member, record, entries, issued_at_local, url):
    """PDF bytes of ``member``'s record ``record`` listing ``entries`` (ServiceEntry, oldest first)."""
    pdf = RecordPdf(url, f"{record.id:06d}")
    pdf.add_page()
    _title(pdf)
    _identity(pdf, member, record, issued_at_local)
    _totals(pdf, record)
    _table(pdf, record, entries)
    return bytes(pdf.output())


def _title(pdf):
    pdf.set_fill_color(*RED)
    pdf.rect(0, 0, pdf.w, 6, style="F")
    pdf.set_y(13)
    pdf.set_font(FONT, "B", 22)
    pdf.set_text_color(*RED)
    pdf.cell(0, 11, T["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 6, T["subtitle"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(5)


def _identity(pdf, member, record, issued_at_local):
    """Two columns of label：value, one line each."""
    half = (pdf.w - 2 * MARGIN) / 2
    pairs = [
        (T["name"], member.name), (T["political_status"], political_status(member.is_party_member)),
        (T["unit"], member.unit.name), (T["post_title"], member.post_title or "—"),
        (T["record_no"], f"{record.id:06d}"), (T["issued_at"], issued_at_local.strftime("%Y-%m-%d %H:%M")),
    ]
    for index, (label, value) in enumerate(pairs):
        x = MARGIN + (index % 2) * half
        pdf.set_x(x)
        pdf.set_font(FONT, "", 10.5)
        pdf.set_text_color(*GREY)
        pdf.cell(22, 7.5, f"{label}：")
        pdf.set_font(FONT, "B", 10.5)
        pdf.set_text_color(0)
        pdf.cell(half - 24, 7.5, _fit(pdf, value, half - 24), new_x="LMARGIN" if index % 2 else "RIGHT",
                 new_y="NEXT" if index % 2 else "TOP")
    pdf.ln(3)


def _fit(pdf, text, width):
    """``text`` cut with an ellipsis to fit ``width`` in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _totals(pdf, record):
    """The three figures in a tinted box: hours (minutes), shifts, star level."""
    top, width, height = pdf.get_y(), pdf.w - 2 * MARGIN, 21
    pdf.set_fill_color(*LIGHT_RED)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.3)
    pdf.rect(MARGIN, top, width, height, style="DF")
    figures = [
        (T["total_hours"], T["total_hours_value"].format(hours=hours_text(record.approved_minutes),
                                                           minutes=record.approved_minutes)),
        (T["shift_count"], T["shift_count_value"].format(count=record.shift_count)),
        (T["star_level"], stars(record.star_level)),
    ]
    widths = (width * 0.42, width * 0.2, width * 0.38)
    x = MARGIN
    for (label, value), column in zip(figures, widths):
        pdf.set_xy(x, top + 3)
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*GREY)
        pdf.cell(column, 5, label, align="C")
        pdf.set_xy(x, top + 9.5)
        pdf.set_font(FONT, "B", 13)
        pdf.set_text_color(*RED)
        pdf.cell(column, 8, value, align="C")
        x += column
    pdf.set_text_color(0)
    pdf.set_y(top + height + 6)


class _Measure:
    """The current PDF font, measured the way server.qr.signs.wrap expects of a Pillow face."""

    def __init__(self, pdf):
        self.getlength = pdf.get_string_width


def _wrapped(pdf, text, column_width):
    """``text`` broken into lines that fit the column, closing punctuation never starting a line."""
    width = column_width - 2 * CELL_PADDING_X - 0.2
    return "\n".join("\n".join(wrap(part, _Measure(pdf), width)) for part in text.split("\n"))


def _table(pdf, record, entries):
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, T["details"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FONT, "", 8)
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    # The table fills its zebra rows with the current fill colour.
    pdf.set_fill_color(*ZEBRA)
    headings = FontFace(emphasis="BOLD", color=0, fill_color=HEADER_FILL)
    with pdf.table(col_widths=COLUMN_WIDTHS, width=sum(COLUMN_WIDTHS), headings_style=headings, line_height=4.2,
                   text_align="CENTER", wrapmode=WrapMode.CHAR, padding=(1.4, CELL_PADDING_X), repeat_headings=1,
                   cell_fill_color=ZEBRA, cell_fill_mode="ROWS") as table:
        table.row(T["columns"])
        for number, entry in enumerate(entries, start=1):
            started, ended = entry.local(entry.started_at), entry.local(entry.ended_at)
            span = f"{started:%H:%M}–{ended:%H:%M}" if ended is not None else f"{started:%H:%M}"
            cells = (str(number), entry.post_name, f"{started:%Y-%m-%d}\n{span}", entry.place, entry.content,
                     T["minutes_hours"].format(minutes=entry.credited_minutes, hours=hours_text(entry.credited_minutes)),
                     entry.unit_name, entry.reviewer_name or "—")
            row = table.row()
            for index, (text, width) in enumerate(zip(cells, COLUMN_WIDTHS)):
                row.cell(_wrapped(pdf, text, width), align="LEFT" if index in (3, 4) else None)
        total = T["total_row_value"].format(count=record.shift_count, minutes=record.approved_minutes,
                                            hours=hours_text(record.approved_minutes))
        row = table.row(style=FontFace(emphasis="BOLD"))
        if entries:
            row.cell(T["total_row"], colspan=2)
            row.cell(total, colspan=6, align="LEFT")
        else:
            row.cell(T["no_shifts"], colspan=8)
