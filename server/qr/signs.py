"""Drawing codes and printable signs with qrcode and Pillow.

A code holds only ``{PUBLIC_BASE_URL}/q/{token}``. Signs follow the layouts in
qr_assets/templates/layouts.json (A6 desk sign 台签, badge card 胸卡); long Chinese text
wraps by width with line-start punctuation rules and shrinks to fit its box.
"""
import functools
import hashlib
import io
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw

from server.messages import SIGN
from server.qr.fonts import font

LAYOUTS_FILE = Path(__file__).resolve().parent.parent.parent / "qr_assets" / "templates" / "layouts.json"
MM_PER_INCH = 25.4
# A printed sign gets scuffed and photographed at an angle: H recovers 30 % of the modules.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_H
# The qrcode library's search for the lowest-penalty mask costs ~11 ms per code in pure
# Python, more than the rest of a sign. Every mask is valid (ISO/IEC 18004) and decoders
# handle all eight; the tests decode every kind of output with zbarimg.
MASK_PATTERN = 2
QUIET_ZONE_MODULES = 4
NO_LINE_START = set("，。、；：！？）】》」』”’…—·,.;:!?)]}%")
TOKEN_RE = re.compile(r"[A-Za-z0-9]+|\s|.", re.S)


@functools.cache
def layouts():
    """The sign layouts of qr_assets/templates/layouts.json."""
    return json.loads(LAYOUTS_FILE.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=4096)
def qr_matrix(url):
    """The module matrix (with quiet zone) of ``url`` at error-correction level H."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE_MODULES, mask_pattern=MASK_PATTERN)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def qr_image(url, size_px, dark=0, light=255, mode="L"):
    """The code with whole pixels per module, at most size_px wide; ``dark``/``light`` are pixel values."""
    matrix = qr_matrix(url)
    modules = len(matrix)
    box = max(1, size_px // modules)
    pixels = bytes(dark if is_dark else light for row in matrix for is_dark in row)
    small = Image.frombytes(mode, (modules, modules), pixels)
    return small.resize((modules * box, modules * box), Image.NEAREST)


def bare_png(url, size_px=600):
    """PNG bytes of the bare code."""
    buffer = io.BytesIO()
    qr_image(url, size_px).save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


@dataclass
class SignContent:
    """What a sign says, independent of layout."""

    kind: str
    url: str
    header: str
    title: str
    subtitles: list = field(default_factory=list)
    body_label: str = ""
    body: str = ""
    cta: str = ""
    initial: str = ""

    def digest(self, layout):
        """Cache key: changes when the text, the link, the layout or its template changes."""
        data = json.dumps([asdict(self), layout, layouts()[layout]], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def _tokens(text, face, max_width):
    """TOKEN_RE's tokens, with a word wider than ``max_width`` cut into pieces that fit."""
    for token in TOKEN_RE.findall(text):
        if len(token) == 1 or face.getlength(token) <= max_width:
            yield token
            continue
        piece = ""
        for char in token:
            if piece and face.getlength(piece + char) > max_width:
                yield piece
                piece = ""
            piece += char
        yield piece


def wrap(text, face, max_width):
    """Split ``text`` into lines no wider than ``max_width``; punctuation never starts a line."""
    lines, line = [], ""
    for token in _tokens(text, face, max_width):
        if token == "\n":
            lines.append(line)
            line = ""
            continue
        if not line or face.getlength(line + token) <= max_width:
            line += token
            continue
        # Closing punctuation never starts a line: the character before it goes down with it.
        carry = token
        while len(line) > 1 and carry.lstrip()[:1] in NO_LINE_START:
            line, carry = line[:-1], line[-1] + carry
        lines.append(line.rstrip())
        line = carry.lstrip()
    if line:
        lines.append(line)
    return lines


def fit_text(text, weight, max_width, max_height, largest, smallest, spacing=1.25):
    """Largest font size at which ``text`` wraps into the box; returns (face, lines, line_height)."""
    size = largest
    while True:
        face = font(weight, size)
        lines = wrap(text, face, max_width)
        line_height = int(size * spacing)
        if len(lines) * line_height <= max_height or size <= smallest:
            break
        size = max(smallest, int(size * 0.9))
    max_lines = max(1, max_height // line_height)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and face.getlength(lines[-1] + "…") > max_width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return face, lines, line_height


PHOTO_FILL = "#F2F2F2"


class Canvas:
    """A sign being drawn, measured in millimetres at the layout's dpi.

    It is a palette image with crisp (1-bit) text: that is what a printer makes of it anyway,
    and it encodes to PNG several times faster than antialiased RGB.
    """

    def __init__(self, spec, width_mm, height_mm):
        self.spec = spec
        names = list(spec["colors"]) + ["photo"]
        hexes = list(spec["colors"].values()) + [PHOTO_FILL]
        self.colors = {name: index for index, name in enumerate(names)}
        self.px_per_mm = spec["dpi"] / MM_PER_INCH
        self.image = Image.new("P", (self.px(width_mm), self.px(height_mm)), self.colors["background"])
        self.image.putpalette([int(h[i:i + 2], 16) for h in hexes for i in (1, 3, 5)])
        self.draw = ImageDraw.Draw(self.image)
        self.draw.fontmode = "1"

    def px(self, mm):
        return int(round(mm * self.px_per_mm))

    def text(self, xy_mm, text, weight, size_mm, color, anchor="la"):
        x, y = xy_mm
        self.draw.text((self.px(x), self.px(y)), text, font=font(weight, self.px(size_mm)), fill=self.colors[color], anchor=anchor)

    def single_line(self, x_mm, y_mm, width_mm, text, weight, size_mm, color, min_size_mm=None):
        """One line of text, shrunk to fit ``width_mm`` (ellipsised at ``min_size_mm``)."""
        face, lines, line_height = fit_text(text, weight, self.px(width_mm), self.px(size_mm * 1.3),
                                            self.px(size_mm), self.px(min_size_mm or size_mm * 0.6))
        self.draw.text((self.px(x_mm), self.px(y_mm)), lines[0] if lines else "", font=face, fill=self.colors[color])
        return line_height / self.px_per_mm

    def paragraph(self, x_mm, y_mm, width_mm, height_mm, text, weight, size_mm, color, min_size_mm):
        face, lines, line_height = fit_text(text, weight, self.px(width_mm), self.px(height_mm),
                                            self.px(size_mm), self.px(min_size_mm))
        y = self.px(y_mm)
        for line in lines:
            self.draw.text((self.px(x_mm), y), line, font=face, fill=self.colors[color])
            y += line_height

    def header(self, height_mm, left, right):
        self.draw.rectangle((0, 0, self.image.width, self.px(height_mm)), fill=self.colors["header"])
        margin = self.spec["margin_mm"]
        self.single_line(margin, height_mm * 0.22, self.image.width / self.px_per_mm * 0.68, left, "bold",
                         height_mm * 0.45, "header_text")
        self.text((self.image.width / self.px_per_mm - margin, height_mm * 0.5), right, "bold", height_mm * 0.28,
                  "header_text", anchor="rm")

    def qr(self, url, x_mm, y_mm, size_mm):
        code = qr_image(url, self.px(size_mm), self.colors["text"], self.colors["background"], mode="P")
        offset = (self.px(size_mm) - code.width) // 2
        self.image.paste(code, (self.px(x_mm) + offset, self.px(y_mm) + offset))

    def png(self):
        buffer = io.BytesIO()
        self.image.save(buffer, "PNG", compress_level=6)
        return buffer.getvalue()


def draw_desk(content):
    """A6 landscape desk sign (台签): identity and commitment on the left, the code on the right."""
    spec = layouts()["desk"]
    canvas = Canvas(spec, spec["width_mm"], spec["height_mm"])
    margin, qr_mm, header_mm = spec["margin_mm"], spec["qr_mm"], spec["header_mm"]
    canvas.header(header_mm, content.header, SIGN["brand"])
    text_width = spec["width_mm"] - qr_mm - margin * 3
    y = header_mm + 5
    y += canvas.single_line(margin, y, text_width, content.title, "bold", 13, "text", min_size_mm=7) + 1
    for subtitle in content.subtitles:
        y += canvas.single_line(margin, y, text_width, subtitle, "regular", 5, "muted", min_size_mm=3.5)
    y += 3
    canvas.draw.line((canvas.px(margin), canvas.px(y), canvas.px(margin + text_width), canvas.px(y)),
                     fill=canvas.colors["accent"], width=canvas.px(0.5))
    y += 3
    if content.body:
        canvas.paragraph(margin, y, text_width, spec["height_mm"] - y - margin, content.body_label + content.body,
                         "regular", 6, "text", 3.2)
    qr_x, qr_y = spec["width_mm"] - margin - qr_mm, header_mm + 6
    canvas.qr(content.url, qr_x, qr_y, qr_mm)
    canvas.text((qr_x + qr_mm / 2, qr_y + qr_mm + 4), content.cta, "bold", 4.4, "accent", anchor="mt")
    return canvas.png()


def draw_badge(content):
    """Badge card (胸卡), portrait: header, photo placeholder and name, commitment, code."""
    spec = layouts()["badge"]
    canvas = Canvas(spec, spec["width_mm"], spec["height_mm"])
    margin, header_mm, photo_mm, qr_mm = spec["margin_mm"], spec["header_mm"], spec["photo_mm"], spec["qr_mm"]
    width = spec["width_mm"]
    canvas.header(header_mm, content.header, SIGN["brand"])
    top = header_mm + 3
    # No photo is fetched at print time: a placeholder with the name's first character.
    canvas.draw.rectangle((canvas.px(margin), canvas.px(top), canvas.px(margin + photo_mm * 0.8), canvas.px(top + photo_mm)),
                          fill=canvas.colors["photo"], outline=canvas.colors["muted"], width=canvas.px(0.2))
    canvas.text((margin + photo_mm * 0.4, top + photo_mm / 2), content.initial, "bold", photo_mm * 0.45, "muted", anchor="mm")
    x = margin + photo_mm * 0.8 + 2.5
    column = width - x - margin
    y = top
    y += canvas.single_line(x, y, column, content.title, "bold", 7, "text", min_size_mm=4) + 0.5
    canvas.paragraph(x, y, column, top + photo_mm - y, "\n".join(content.subtitles), "regular", 2.8, "muted", 2.0)
    body_top = top + photo_mm + 2.5
    qr_top = spec["height_mm"] - margin - qr_mm - 4.5
    if content.body:
        canvas.paragraph(margin, body_top, width - 2 * margin, qr_top - body_top - 1.5, content.body_label + content.body,
                         "regular", 3.2, "text", 2.0)
    canvas.qr(content.url, (width - qr_mm) / 2, qr_top, qr_mm)
    canvas.text((width / 2, qr_top + qr_mm + 0.8), content.cta, "bold", 2.6, "accent", anchor="mt")
    return canvas.png()


DRAW = {"desk": draw_desk, "badge": draw_badge}


def render_sign(content, layout):
    """PNG bytes of ``content`` in ``layout`` ("desk" or "badge")."""
    return DRAW[layout](content)


def cached_sign_png(content, layout, output_dir):
    """``render_sign`` through a file cache under ``output_dir``: the same sign is drawn once.

    Needs no app context, so batch exports can run it in worker processes.
    """
    token = content.url.rsplit("/", 1)[-1]
    path = Path(output_dir) / token / f"{layout}-{content.digest(layout)}.png"
    if path.is_file():
        return path.read_bytes()
    png = render_sign(content, layout)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(png)
    partial.replace(path)  # atomic: a concurrent reader never sees half a file
    return png
