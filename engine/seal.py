"""The issuing office's red round seal (红色圆形公章), drawn as an image for printed documents.

An official seal of a county-level organ is a 42 mm circle: a red ring, a five-pointed star in
the middle and the office's full name along the upper arc, read left to right. The image is
semi-transparent so that, pressed over the issuer's name and the date as GB/T 9704 asks, the
printed text underneath stays legible.

Drawing is a pure function of the name (same name → same bytes), so the PNG is cached per
name and every render of a document gets an identical seal.
"""
import io
import math
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SEAL_DIAMETER_MM = 42
# 400 px over 42 mm is 242 dpi: crisp in print (the seal's strokes are 1 mm and more), and
# its alpha channel ~10 KB in the PDF (496 px, 300 dpi: 15 KB).
SEAL_SIZE_PX = 400
SEAL_RED = (214, 24, 24)
SEAL_OPACITY = 0.82

# Draw big, then scale down: Pillow's primitives are not anti-aliased.
_SUPERSAMPLE = 4
# Debian's fonts-noto-cjk, in order of preference (a seal's characters are bold).
_DEBIAN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
_FAMILY = "Noto Sans CJK SC"


class SealFontMissing(RuntimeError):
    """No Simplified-Chinese font is installed (Debian package fonts-noto-cjk)."""


def _sc_face_index(path: str) -> int | None:
    """Index of the Simplified-Chinese face in a font collection (.ttc), or None."""
    for index in range(16):
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            return None
        if family == _FAMILY:
            return index
    return None


@lru_cache(maxsize=1)
def seal_font() -> tuple[str, int]:
    """(file, face index) of the Noto Sans CJK SC font, found through fontconfig first."""
    candidates: list[str] = []
    try:
        found = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            ["fc-match", "-f", "%{file}\n%{family}", f"{_FAMILY}:style=Bold"],  # noqa: S607
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.split("\n")
        if len(found) >= 2 and _FAMILY in found[1]:
            candidates.append(found[0])
    except (OSError, subprocess.SubprocessError):
        pass  # no fontconfig tools: fall back to the Debian paths
    candidates.extend(_DEBIAN_FONTS)
    for path in candidates:
        if Path(path).is_file():
            index = _sc_face_index(path)
            if index is not None:
                return path, index
    raise SealFontMissing("找不到中文字体 Noto Sans CJK SC，请安装 fonts-noto-cjk")


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * 0.382  # regular star: inner/outer = 0.382
        angle = math.radians(-90 + 36 * k)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=255)


def _glyph_tile(char: str, font: ImageFont.FreeTypeFont, height: int, width: int) -> Image.Image:
    """One character as a coverage mask, condensed to ``width`` when the arc is crowded."""
    tile = Image.new("L", (height, height), 0)
    ImageDraw.Draw(tile).text((height / 2, height / 2), char, font=font, fill=255, anchor="mm")
    if width != height:
        tile = tile.resize((width, height), Image.Resampling.LANCZOS)
    return tile


def _draw_mask(name: str, size: int) -> Image.Image:
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    centre = size / 2
    outer = size / 2 - size * 0.01
    ring = outer * 0.065
    draw.ellipse([centre - outer, centre - outer, centre + outer, centre + outer], fill=255)
    inner = outer - ring
    draw.ellipse([centre - inner, centre - inner, centre + inner, centre + inner], fill=0)
    _star(draw, centre, centre, outer * 0.30)

    chars = [c for c in name if not c.isspace()]
    if not chars:
        return mask
    glyph = round(outer * 0.27)  # character height, radially
    text_radius = inner - outer * 0.05 - glyph / 2  # centre line of the characters
    path, index = seal_font()
    font = ImageFont.truetype(path, glyph, index=index)
    # Spread the name over at most 240° of the upper arc; short names keep natural spacing,
    # long names are condensed horizontally, as seal engravers do.
    natural_step = glyph * 1.08 / text_radius
    step = min(natural_step, math.radians(240) / len(chars))
    width = max(1, min(glyph, round(step * text_radius * 0.92)))
    span = step * len(chars)
    for i, char in enumerate(chars):
        angle = -span / 2 + step * (i + 0.5)  # clockwise from straight up
        tile = _glyph_tile(char, font, glyph, width)
        rotated = tile.rotate(-math.degrees(angle), resample=Image.Resampling.BICUBIC,
                              expand=True)
        x = centre + text_radius * math.sin(angle) - rotated.width / 2
        y = centre - text_radius * math.cos(angle) - rotated.height / 2
        mask.paste(255, (round(x), round(y)), rotated)
    return mask


@lru_cache(maxsize=32)
def seal_png(office_name: str, size: int = SEAL_SIZE_PX) -> bytes:
    """The seal of ``office_name`` (e.g. 金华市婺城区民政局) as a transparent PNG, ``size`` px
    square. Deterministic: the same name always gives the same bytes."""
    coverage = _draw_mask(office_name, size * _SUPERSAMPLE).resize(
        (size, size), Image.Resampling.LANCZOS)
    # 8 levels of coverage are enough for smooth edges at 300 dpi, and compress to a third of
    # 256 levels (the PDF stores the alpha channel as an image of its own: 29 KB → 10 KB).
    alpha = coverage.point(lambda value: round(value * SEAL_OPACITY * 7 / 255) * 255 // 7)
    image = Image.new("RGBA", (size, size), (*SEAL_RED, 0))
    image.putalpha(alpha)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
