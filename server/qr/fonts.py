"""Finding the CJK font for printed signs at run time (qr_assets/fonts.json), never downloading one."""
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

from PIL import ImageFont

FONTS_CONFIG = Path(__file__).resolve().parent.parent.parent / "qr_assets" / "fonts.json"
ENV_OVERRIDE = {"regular": "RS_CJK_FONT", "bold": "RS_CJK_FONT_BOLD"}


class FontMissingError(RuntimeError):
    """No CJK font could be found: signs cannot be drawn."""


def _fc_match(pattern):
    """Ask fontconfig for a font file; None when fontconfig or the font is absent."""
    if not shutil.which("fc-match"):
        return None
    result = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", pattern], capture_output=True, text=True, timeout=10)
    lines = result.stdout.strip().splitlines()
    if result.returncode or len(lines) < 1 or not Path(lines[0]).is_file():
        return None
    # fc-match falls back to any font (e.g. DejaVu) when the family is missing: insist on CJK.
    family = subprocess.run(["fc-query", "-f", "%{family}", lines[0]], capture_output=True, text=True, timeout=10).stdout
    if not any(word in family for word in ("CJK", "WenQuanYi", "Hei", "Song")):
        return None
    return lines[0], int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else 0


@functools.cache
def font_file(weight):
    """(path, face index) of the CJK font for ``weight`` ("regular" or "bold")."""
    override = os.environ.get(ENV_OVERRIDE[weight])
    if override:
        if not Path(override).is_file():
            raise FontMissingError(
                f"{ENV_OVERRIDE[weight]}={override} does not name a font file. Point it at a CJK font, "
                "or unset it to use Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)."
            )
        return override, 0
    candidates = json.loads(FONTS_CONFIG.read_text(encoding="utf-8"))[weight]
    for candidate in candidates:
        if "path" in candidate and Path(candidate["path"]).is_file():
            return candidate["path"], candidate.get("index", 0)
        if "fc_match" in candidate:
            found = _fc_match(candidate["fc_match"])
            if found:
                return found
    raise FontMissingError(
        "No CJK font found for printed signs. Install Debian's fonts-noto-cjk "
        "(apt-get install fonts-noto-cjk) or fonts-wqy-microhei, or set "
        f"{ENV_OVERRIDE[weight]} to a font file. Searched: {FONTS_CONFIG}"
    )


@functools.lru_cache(maxsize=64)
def font(weight, size_px):
    """A loaded FreeType font, cached: loading a 20 MB CJK collection costs more than a sign."""
    path, index = font_file(weight)
    return ImageFont.truetype(path, size_px, index=index)
