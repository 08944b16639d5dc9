"""The document fonts (print_templates/fonts, made by bin/fonts-build) are faithful cuts of the
installed Noto Serif CJK SC and cover what documents print."""
from pathlib import Path

import pytest
from django.conf import settings
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTCollection, TTFont

FONTS = Path(settings.PRINT_TEMPLATES_DIR) / "fonts"
SOURCES = {"Regular": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
           "Bold": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"}


def _face(path):
    if not Path(path).exists():
        pytest.fail(f"{path} is missing: install fonts-noto-cjk (bin/setup does)")
    return next(font for font in TTCollection(path).fonts
                if font["name"].getDebugName(1) == "Noto Serif CJK SC")


def _outline(glyph_set, name):
    pen = RecordingPen()
    glyph_set[name].draw(pen)
    return pen.value


@pytest.mark.parametrize("style", SOURCES)
def test_every_cut_draws_the_glyphs_of_the_installed_face(style):
    """Same outline and advance for every character of the first font (the wording of every
    document) and a sample of every other one."""
    source = _face(SOURCES[style])
    source_glyphs, source_cmap = source.getGlyphSet(), source.getBestCmap()
    files = sorted(FONTS.glob(f"DocSerif*-{style}.otf"))
    assert len(files) == 14
    checked = 0
    for path in files:
        font = TTFont(path)
        glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
        codepoints = sorted(cmap)
        if not path.name.startswith("DocSerif0-"):
            codepoints = codepoints[::25]
        for codepoint in codepoints:
            ours, theirs = cmap[codepoint], source_cmap[codepoint]
            assert _outline(glyphs, ours) == _outline(source_glyphs, theirs), \
                f"{path.name}: {chr(codepoint)}"
            assert font["hmtx"][ours][0] == source["hmtx"][theirs][0], chr(codepoint)
            checked += 1
    assert checked > 1400


def test_the_first_font_holds_every_character_of_the_print_templates():
    cmap = TTFont(FONTS / "DocSerif0-Regular.otf").getBestCmap()
    text = "".join(path.read_text(encoding="utf-8")
                   for path in Path(settings.PRINT_TEMPLATES_DIR).rglob("*.html"))
    missing = sorted({c for c in text if "\u4e00" <= c <= "\u9fff" and ord(c) not in cmap})
    assert not missing, f"run bin/fonts-build --common: {''.join(missing)}"


def test_gb2312_is_covered_by_the_cuts():
    covered = set()
    for path in FONTS.glob("DocSerif*-Regular.otf"):
        covered |= set(TTFont(path).getBestCmap())
    for b1 in range(0xB0, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                char = bytes([b1, b2]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            assert ord(char) in covered, char
