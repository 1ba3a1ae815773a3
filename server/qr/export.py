"""Batch printing: every current sign of a unit as one ZIP of PNGs and one A4 PDF sheet."""
import io
import multiprocessing
import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from flask import current_app
from fpdf import FPDF
from sqlalchemy import select

from server.extensions import db
from server.models import QrCode
from server.qr.services import sign_content
from server.qr.signs import cached_sign_png, layouts

KIND_ORDER = {"window": 0, "badge": 1, "post": 2}


def file_part(text):
    """``text`` made safe inside a ZIP member name: no folders ("/", ".."), no characters Windows refuses."""
    return re.sub(r'[\\/:*?"<>|\s.]+', "_", text).strip("_") or "-"


def unit_sign_jobs(unit_id):
    """[(file name, SignContent, layout)] for every current code of a unit: badges get a card and a desk sign."""
    codes = db.session.scalars(
        select(QrCode).where(QrCode.unit_id == unit_id, QrCode.revoked_at.is_(None)).order_by(QrCode.id)
    ).all()
    jobs = []
    for code in sorted(codes, key=lambda c: (KIND_ORDER[c.kind], c.id)):
        content = sign_content(code)
        for layout in ("badge", "desk") if code.kind == "badge" else ("desk",):
            jobs.append((f"{code.kind}-{code.id}-{file_part(content.title)}-{layout}.png", content, layout))
    # Grouped by layout, so the sheet fills each A4 page with one size of sign.
    return sorted(jobs, key=lambda job: job[2])


def _render(job_and_dir):
    (name, content, layout), output_dir = job_and_dir
    return name, layout, cached_sign_png(content, layout, output_dir)


def render_jobs(jobs, workers=1):
    """Yield (name, layout, png) per job, in order; ``workers`` > 1 renders in processes."""
    output_dir = current_app.config["QR_OUTPUT_DIR"]
    items = [(job, output_dir) for job in jobs]
    if workers <= 1 or len(items) < 8:
        yield from map(_render, items)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(_render, items, chunksize=8)


def write_zip(rendered, out):
    """Write rendered signs into a ZIP at ``out`` (a path or file object); PNGs are stored, not re-compressed."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, _layout, png in rendered:
            archive.writestr(name, png)


class SignSheet:
    """An A4 PDF with signs placed at their printed size, several per page, with crop marks."""

    def __init__(self):
        spec = layouts()["sheet"]
        self.page_w, self.page_h = spec["page_mm"]
        self.gap = spec["gap_mm"]
        self.crop_marks = spec["crop_marks"]
        self.pdf = FPDF(unit="mm", format=(self.page_w, self.page_h))
        self.pdf.set_auto_page_break(False)
        self.pdf.set_creator("Red Station")
        self.slots = {}

    def _grid(self, layout):
        spec = layouts()[layout]
        w, h = spec["width_mm"], spec["height_mm"]
        cols = max(1, int((self.page_w - 10 + self.gap) // (w + self.gap)))
        rows = max(1, int((self.page_h - 10 + self.gap) // (h + self.gap)))
        left = (self.page_w - cols * w - (cols - 1) * self.gap) / 2
        top = (self.page_h - rows * h - (rows - 1) * self.gap) / 2
        return [(left + c * (w + self.gap), top + r * (h + self.gap), w, h) for r in range(rows) for c in range(cols)]

    def add(self, layout, png):
        """Place one sign; a new page starts when the layout changes or the page is full."""
        slots = self.slots.get(layout)
        if not slots:
            self.slots = {layout: self._grid(layout)}
            slots = self.slots[layout]
            self.pdf.add_page()
        x, y, w, h = slots.pop(0)
        self.pdf.image(io.BytesIO(png), x=x, y=y, w=w, h=h)
        if self.crop_marks:
            self._crop_marks(x, y, w, h)

    def _crop_marks(self, x, y, w, h, length=3):
        self.pdf.set_line_width(0.1)
        self.pdf.set_draw_color(150)
        for cx, cy, dx, dy in ((x, y, -1, -1), (x + w, y, 1, -1), (x, y + h, -1, 1), (x + w, y + h, 1, 1)):
            self.pdf.line(cx, cy, cx + dx * length, cy)
            self.pdf.line(cx, cy, cx, cy + dy * length)

    def output(self):
        return bytes(self.pdf.output())


def export_unit(unit_id, zip_out=None, pdf_out=None, workers=1, progress=None):
    """Render every current sign of a unit into a ZIP (``zip_out``) and/or an A4 PDF sheet (``pdf_out``).

    Each target is a path or a binary file object; ``progress(done, total)`` is called after
    each sign. Returns how many signs were rendered (0: the unit has no current codes).
    """
    jobs = unit_sign_jobs(unit_id)
    sheet = SignSheet() if pdf_out is not None else None
    rendered = []
    for done, (name, layout, png) in enumerate(render_jobs(jobs, workers), start=1):
        rendered.append((name, layout, png))
        if sheet is not None:
            sheet.add(layout, png)
        if progress:
            progress(done, len(jobs))
    if rendered and zip_out is not None:
        write_zip(rendered, zip_out)
    if rendered and sheet is not None:
        data = sheet.output()
        if hasattr(pdf_out, "write"):
            pdf_out.write(data)
        else:
            Path(pdf_out).write_bytes(data)
    return len(rendered)
