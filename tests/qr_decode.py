"""Decoding QR codes in test output with Debian's zbarimg (zbar-tools) and pdftoppm (poppler-utils).

Each helper returns the list of strings zbarimg decoded, so a test can assert that an image
holds exactly one code with exactly the expected URL.
"""
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PACKAGES = {"zbarimg": "zbar-tools", "pdftoppm": "poppler-utils"}


def require_tools(*tools):
    """Fail (never skip) when a decoding tool is missing: the tests must prove the codes scan."""
    missing = [tool for tool in tools or PACKAGES if shutil.which(tool) is None]
    if missing:
        packages = " ".join(PACKAGES[tool] for tool in missing)
        pytest.fail(f"{', '.join(missing)} not found: apt-get install {packages}", pytrace=False)


def decode_file(path):
    """Every QR code zbarimg finds in the image file at ``path``, in the order it reports them."""
    require_tools("zbarimg")
    result = subprocess.run(
        ["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True, timeout=60,
    )
    # zbarimg exits 4 when it finds no code: that is an empty list, not an error.
    if result.returncode not in (0, 4):
        raise RuntimeError(f"zbarimg failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return [line for line in result.stdout.decode("utf-8").splitlines() if line]


def decode_png(png):
    """Every QR code in PNG ``png`` (bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "code.png"
        path.write_bytes(png)
        return decode_file(path)


def decode_pngs(pngs):
    """[codes in each PNG] of the list ``pngs``, decoded concurrently (zbarimg is the slow part)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(decode_png, pngs))


def decode_pdf(pdf, dpi=300, png=False):
    """[codes decoded on page 1, on page 2, …] of the PDF ``pdf`` (bytes), each page rendered at ``dpi``.

    Pages are rasterised as greyscale PGM by default: the same 300 dpi rendering as
    ``pdftoppm -png`` without its PNG compression, which costs six times the rendering
    itself. ``png=True`` renders PNG pages instead.
    """
    require_tools("pdftoppm")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "sheet.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png" if png else "-gray", str(source), str(Path(tmp) / "page")],
                       check=True, capture_output=True, timeout=120)
        pages = sorted(Path(tmp).glob("page-*"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        assert pages, "pdftoppm rendered no page"
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(decode_file, pages))
