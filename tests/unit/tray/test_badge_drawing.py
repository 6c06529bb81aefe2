"""The badge renderer and the app icon files, checked by reading pixels (real Pillow, no display).

Legibility is measured, not eyeballed: the text's pixels are found by rendering the same badge
with and without its text, then their contrast with the background and their height in pixels
are checked at 22 px, the size trays show.
"""

from __future__ import annotations

import colorsys
import dataclasses
import importlib.util
import io
import itertools
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageChops, ImageStat

from tray_app.core.badge import BadgeKind, BadgeSpec, badge_for_balance, state_badge
from tray_app.core.levels import Level
from tray_app.tray.badge_drawing import render_badge
from tray_app.tray.badge_palette import contrast_ratio
from tray_app.tray.badge_renderer import BadgeRenderer, app_icon, load_badge_font

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "generate_icons.py"
HIDPI_SIZES = (22, 24, 32, 44, 48, 64, 128)
TRAY_PX = 22
# Credits whose compact forms cover every shape of badge text: 1 to 5 characters, k and M.
NUMBERS = (7, 88, 950, 4_200, 12_480, 99_940, 100_000, 1_234_000, 30_050)
# WCAG's minimum contrast for large text and for graphics: the digits must beat it.
MIN_TEXT_CONTRAST = 3.0
# Height in pixels of the strongly inked rows of a number at 22 px: below 7 digits blur.
MIN_TEXT_ROWS = 7

RGB = tuple[int, int, int]


@pytest.fixture(scope="module")
def renderer() -> BadgeRenderer:
    return BadgeRenderer(max_entries=512)


def all_kinds() -> dict[str, BadgeSpec]:
    return {
        "level": badge_for_balance(30_050, 0.86, Level.OK),
        "stale": badge_for_balance(30_050, 0.86, Level.OK, stale=True),
        "rate_limited": badge_for_balance(30_050, 0.86, Level.OK, rate_limited=True),
        "no_key": state_badge(BadgeKind.NO_KEY),
        "key_rejected": state_badge(BadgeKind.KEY_REJECTED),
        "starting": state_badge(BadgeKind.STARTING),
        "stale_unknown": state_badge(BadgeKind.STALE),
        "rate_limited_unknown": state_badge(BadgeKind.RATE_LIMITED),
    }


# --- pixel helpers ---------------------------------------------------------------------------


def pixels(image: Image.Image) -> Iterator[tuple[int, int]]:
    return ((x, y) for y in range(image.height) for x in range(image.width))


def share_differing(a: Image.Image, b: Image.Image, threshold: int = 48) -> float:
    """Share of pixels where any channel (alpha included) differs by more than `threshold`."""
    bands = ImageChops.difference(a, b).split()
    worst = bands[0]
    for band in bands[1:]:
        worst = ImageChops.lighter(worst, band)
    over = worst.point(lambda v: 255 if v > threshold else 0).histogram()[255]
    return over / (a.width * a.height)


def rgba_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int, int]:
    px = image.getpixel(xy)
    assert isinstance(px, tuple)
    assert len(px) == 4
    return (px[0], px[1], px[2], px[3])


def grey_at(image: Image.Image, xy: tuple[int, int]) -> int:
    px = image.getpixel(xy)
    assert isinstance(px, int)
    return px


def dominant_colour(image: Image.Image, exclude: RGB | None = None) -> RGB:
    """The most common visible colour of an RGBA image (the badge body's fill), `exclude` aside."""
    counts: dict[RGB, int] = {}
    for count, px in image.getcolors(maxcolors=image.width * image.height) or []:
        assert isinstance(px, tuple)
        rgb = (px[0], px[1], px[2])
        if px[3] > 0 and rgb != exclude:
            counts[rgb] = counts.get(rgb, 0) + count
    colour = max(counts, key=lambda rgb: counts[rgb])
    assert counts[colour] > image.width * image.height / 5, "no colour dominates the badge"
    return colour


def hue_degrees(rgb: RGB) -> float:
    h, _, _ = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    return h * 360


def value(rgb: RGB) -> float:
    return colorsys.rgb_to_hsv(*(c / 255 for c in rgb))[2]


def mean_saturation(image: Image.Image) -> float:
    hsv = image.convert("RGB").convert("HSV")
    alpha = image.getchannel("A")
    return ImageStat.Stat(hsv.getchannel("S"), alpha).mean[0]


@dataclasses.dataclass
class TextPixels:
    """Where a badge's text is, found as the difference from the same badge without text."""

    coords: list[tuple[int, int]]
    contrast: float  # WCAG ratio, strongest quarter of text pixels against the background
    rows: int  # height of the strongly inked rows


def text_pixels(image: Image.Image, blank: Image.Image) -> TextPixels:
    lum, lum_blank = image.convert("RGB").convert("L"), blank.convert("RGB").convert("L")
    diff = ImageChops.difference(lum, lum_blank)
    coords = [p for p in pixels(diff) if grey_at(diff, p)]
    assert coords, "the text left no pixels"
    strongest = sorted(coords, key=lambda p: -grey_at(diff, p))[: max(1, len(coords) // 4)]
    mask = Image.new("L", diff.size, 0)
    for p in strongest:
        mask.putpixel(p, 255)

    def mean_rgb(img: Image.Image) -> RGB:
        r, g, b = ImageStat.Stat(img.convert("RGB"), mask).mean
        return (round(r), round(g), round(b))

    inked_rows = {y for (x, y) in coords if grey_at(diff, (x, y)) >= 64}
    return TextPixels(
        coords,
        contrast_ratio(mean_rgb(image), mean_rgb(blank)),
        max(inked_rows) - min(inked_rows) + 1 if inked_rows else 0,
    )


def without_text(spec: BadgeSpec) -> BadgeSpec:
    return dataclasses.replace(spec, text="")


# --- sizes and modes -------------------------------------------------------------------------


@pytest.mark.parametrize("size", HIDPI_SIZES)
def test_every_kind_renders_square_rgba_at_the_size_asked(
    renderer: BadgeRenderer, size: int
) -> None:
    for name, spec in all_kinds().items():
        image = renderer.render(spec, size)
        assert image.mode == "RGBA", name
        assert image.size == (size, size), name
        # Rounded corners are see-through; the body in the middle is solid (so the number
        # never sits on the panel colour), except the deliberately translucent stale badge.
        assert rgba_at(image, (0, 0))[3] < 128, name
        centre_alpha = rgba_at(image, (size // 2, size // 2))[3]
        assert centre_alpha == 255 or spec.kind is BadgeKind.STALE, name


def test_badges_are_drawn_at_their_size_not_scaled_from_one(renderer: BadgeRenderer) -> None:
    # The outline is about one pixel at every size: an upscaled 22 px badge would have a
    # three-pixel one at 64 px. Count the non-fill rows above the body's flat top.
    spec = badge_for_balance(950, 0.5, Level.OK)
    for size in (22, 64, 128):
        image = renderer.render(spec, size)
        fill = dominant_colour(image)
        column = [rgba_at(image, (size // 2, y)) for y in range(size // 4)]
        edge_rows = next(y for y, px in enumerate(column) if px[:3] == fill)
        assert edge_rows <= max(2, size // 22 + 1), (size, edge_rows)


def test_too_small_a_size_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        render_badge(state_badge(BadgeKind.STARTING), 4, load_badge_font())


# --- colour per level ------------------------------------------------------------------------


def test_each_level_has_its_own_colour_in_the_expected_direction(
    renderer: BadgeRenderer,
) -> None:
    fills = {
        level: dominant_colour(renderer.render(badge_for_balance(950, 0.5, level), TRAY_PX))
        for level in Level
    }
    hues = {level: hue_degrees(rgb) for level, rgb in fills.items()}
    # Red sits at 0/360 degrees; fold it to near zero so "warmer" means "smaller".
    folded = {level: h - 360 if h > 300 else h for level, h in hues.items()}
    assert 90 <= folded[Level.OK] <= 150  # green
    assert 25 <= folded[Level.LOW] <= 60  # amber
    assert -20 <= folded[Level.CRITICAL] <= 15  # red
    assert -20 <= folded[Level.DEPLETED] <= 15  # red, ...
    assert value(fills[Level.DEPLETED]) < value(fills[Level.CRITICAL]) - 0.15  # ... but darker
    assert folded[Level.OK] > folded[Level.LOW] > folded[Level.CRITICAL]


@pytest.mark.parametrize("panel", [(32, 32, 32), (240, 240, 240)], ids=["dark", "light"])
def test_every_badge_stands_out_on_dark_and_light_panels(
    renderer: BadgeRenderer, panel: RGB
) -> None:
    # Either the body or its outline must contrast with the panel, so the badge's edge shows.
    for spec in [badge_for_balance(950, 0.5, lv) for lv in Level] + list(all_kinds().values()):
        seen = Image.new("RGBA", (TRAY_PX, TRAY_PX), (*panel, 255))
        seen.alpha_composite(renderer.render(spec, TRAY_PX))
        fill = dominant_colour(seen, exclude=panel)
        outline = rgba_at(seen, (TRAY_PX // 2, 0))[:3]
        best = max(contrast_ratio(fill, panel), contrast_ratio(outline, panel))
        assert best >= 1.5, (spec, panel, best)


def test_the_gauge_grows_with_the_share_remaining(renderer: BadgeRenderer) -> None:
    def lit(fraction: float) -> int:
        # The text is identical, so only the gauge changes the count of text-coloured pixels.
        image = renderer.render(badge_for_balance(950, fraction, Level.OK), 64)
        bright = image.convert("RGB").convert("L").point(lambda v: 255 if v > 230 else 0)
        return bright.histogram()[255]

    counts = [lit(f) for f in (0.0, 0.25, 0.5, 1.0)]
    assert counts == sorted(counts)
    assert len(set(counts)) == 4


# --- legibility at 22 px ---------------------------------------------------------------------


@pytest.mark.parametrize("level", list(Level))
def test_numbers_are_legible_at_22px(renderer: BadgeRenderer, level: Level) -> None:
    for credits in NUMBERS:
        spec = badge_for_balance(credits, 0.5, level)
        found = text_pixels(renderer.render(spec, TRAY_PX), renderer.render(without_text(spec), 22))
        assert found.contrast >= MIN_TEXT_CONTRAST, (spec.text, found.contrast)
        assert found.rows >= MIN_TEXT_ROWS, (spec.text, found.rows)


@pytest.mark.parametrize("level", [Level.OK, Level.CRITICAL])
def test_numbers_stay_legible_when_the_tray_shrinks_a_big_badge(
    renderer: BadgeRenderer, level: Level
) -> None:
    # Some tray hosts take a 64 px icon and scale it down themselves.
    def shrunk(spec: BadgeSpec) -> Image.Image:
        return renderer.render(spec, 64).resize((TRAY_PX, TRAY_PX), Image.Resampling.LANCZOS)

    for credits in NUMBERS:
        spec = badge_for_balance(credits, 0.5, level)
        found = text_pixels(shrunk(spec), shrunk(without_text(spec)))
        assert found.contrast >= MIN_TEXT_CONTRAST, (spec.text, found.contrast)
        assert found.rows >= MIN_TEXT_ROWS, (spec.text, found.rows)


def test_different_numbers_give_different_images(renderer: BadgeRenderer) -> None:
    images = {
        credits: renderer.render(badge_for_balance(credits, 0.5, Level.OK), TRAY_PX)
        for credits in NUMBERS
    }
    for (a, image_a), (b, image_b) in itertools.combinations(images.items(), 2):
        assert share_differing(image_a, image_b) > 0.04, (a, b)


# --- states ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [22, 32, 64])
def test_states_are_distinct_images(renderer: BadgeRenderer, size: int) -> None:
    kinds = dict(all_kinds())
    kinds["level_critical"] = badge_for_balance(30_050, 0.86, Level.CRITICAL)
    kinds["level_depleted"] = badge_for_balance(30_050, 0.86, Level.DEPLETED)
    images = {name: renderer.render(spec, size) for name, spec in kinds.items()}
    for (a, image_a), (b, image_b) in itertools.combinations(images.items(), 2):
        assert share_differing(image_a, image_b) > 0.15, (a, b)


@pytest.mark.parametrize("size", [22, 32, 64])
def test_stale_and_rate_limited_carry_different_corner_markers(size: int) -> None:
    # Both draw a white disc with a dark glyph in the bottom-right corner: a clock for stale,
    # an hourglass for rate-limited. Look inside the disc: mostly white, some ink, and the ink
    # in different places for the two glyphs (for every level, so not just by colour).
    font = load_badge_font()

    def inside_marker(spec: BadgeSpec) -> Image.Image:
        box = (round(size * 0.64), round(size * 0.64), round(size * 0.90), round(size * 0.90))
        return render_badge(spec, size, font).crop(box).convert("RGB").convert("L")

    for level in Level:
        stale = inside_marker(badge_for_balance(30_050, 0.86, level, stale=True))
        limited = inside_marker(badge_for_balance(30_050, 0.86, level, rate_limited=True))
        area = stale.width * stale.height
        inks = []
        for marker in (stale, limited):
            assert marker.point(lambda v: 255 if v > 200 else 0).histogram()[255] > 0.3 * area
            ink = marker.point(lambda v: 255 if v < 100 else 0)
            assert ink.histogram()[255] >= 3
            inks.append(ink)
        assert ImageChops.difference(*inks).histogram()[255] > 0.2 * area


@pytest.mark.parametrize("level", list(Level))
def test_stale_keeps_the_number_but_is_dimmer(renderer: BadgeRenderer, level: Level) -> None:
    fresh_spec = badge_for_balance(12_480, 0.6, level)
    stale_spec = badge_for_balance(12_480, 0.6, level, stale=True)
    fresh = renderer.render(fresh_spec, TRAY_PX)
    stale = renderer.render(stale_spec, TRAY_PX)
    assert stale_spec.text == fresh_spec.text
    assert (
        ImageStat.Stat(stale.getchannel("A")).mean[0]
        < ImageStat.Stat(fresh.getchannel("A")).mean[0] * 0.9
    )
    assert mean_saturation(stale) < mean_saturation(fresh) * 0.8
    # The number is still drawn, still readable against its own (greyed) body.
    fresh_text = text_pixels(fresh, renderer.render(without_text(fresh_spec), TRAY_PX))
    stale_text = text_pixels(stale, renderer.render(without_text(stale_spec), TRAY_PX))
    assert len(stale_text.coords) >= 0.7 * len(fresh_text.coords)
    assert stale_text.contrast >= MIN_TEXT_CONTRAST


# --- cache -----------------------------------------------------------------------------------


def test_cache_returns_the_same_image_for_an_equal_spec() -> None:
    cache = BadgeRenderer(max_entries=2)
    first = cache.render(badge_for_balance(30_050, 0.86, Level.OK), 22)
    again = cache.render(badge_for_balance(30_050, 0.86, Level.OK), 22)  # equal, not identical
    assert again is first
    assert cache.render(badge_for_balance(30_050, 0.86, Level.OK), 32) is not first
    assert len(cache) == 2


def test_cache_evicts_the_least_recently_used() -> None:
    cache = BadgeRenderer(max_entries=2)
    a, b, c = (state_badge(k) for k in (BadgeKind.NO_KEY, BadgeKind.STARTING, BadgeKind.STALE))
    image_a = cache.render(a, 22)
    image_b = cache.render(b, 22)
    assert cache.render(a, 22) is image_a  # a is now the most recent
    cache.render(c, 22)  # evicts b
    assert len(cache) == 2
    assert cache.render(a, 22) is image_a
    assert cache.render(b, 22) is not image_b
    with pytest.raises(ValueError, match="max_entries"):
        BadgeRenderer(max_entries=0)


def test_cached_and_uncached_renders_agree(renderer: BadgeRenderer) -> None:
    spec = badge_for_balance(4_200, 0.12, Level.LOW)
    assert (
        render_badge(spec, 32, load_badge_font()).tobytes() == renderer.render(spec, 32).tobytes()
    )


# --- bundled font and app icon ---------------------------------------------------------------


def test_the_bundled_font_is_dejavu_condensed_bold_with_its_licence() -> None:
    assert load_badge_font().getname() == ("DejaVu Sans", "Condensed Bold")
    assets = resources.files("tray_app") / "assets"
    licence = (assets / "DejaVuSansCondensed-Bold.LICENSE.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence
    assert "Arev Fonts Copyright" in licence


def test_app_icon_loads_from_package_data() -> None:
    icon = app_icon(48)
    assert (icon.mode, icon.size) == ("RGBA", (48, 48))
    assert rgba_at(icon, (0, 0))[3] == 0  # rounded corner
    assert rgba_at(icon, (24, 24))[3] == 255


# --- scripts/generate_icons.py ---------------------------------------------------------------


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_icons", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("icons")
    out, package = root / "assets", root / "package"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--package-dir", str(package)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out, package


def test_generator_writes_the_png_set(generated: tuple[Path, Path]) -> None:
    out, _ = generated
    gen = load_script()
    with Image.open(out / "app-icon-1024.png") as master:
        assert (master.format, master.mode, master.size) == ("PNG", "RGBA", (1024, 1024))
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        assert size in gen.PNG_SIZES
        with Image.open(out / "png" / f"app-icon-{size}.png") as png:
            assert (png.format, png.mode, png.size) == ("PNG", "RGBA", (size, size))


def test_generator_writes_multi_size_ico_and_icns(generated: tuple[Path, Path]) -> None:
    out, _ = generated
    gen = load_script()
    with Image.open(out / "app-icon.ico") as ico:
        assert ico.format == "ICO"
        frames = gen.icon_frames(ico)
    assert sorted(frames) == [16, 24, 32, 48, 64, 128, 256]
    with Image.open(out / "app-icon.icns") as icns:
        assert icns.format == "ICNS"
        frames_icns = gen.icon_frames(icns)
    assert sorted(frames_icns) == [32, 64, 128, 256, 512, 1024]
    for frames_of in (frames, frames_icns):
        for size, frame in frames_of.items():
            assert frame.size == (size, size)
            assert rgba_at(frame, (size // 2, size // 2))[3] == 255


def test_generator_keeps_the_package_copies_identical(generated: tuple[Path, Path]) -> None:
    out, package = generated
    assert (package / "app-icon.png").read_bytes() == (out / "app-icon-1024.png").read_bytes()
    assert (package / "app-icon.ico").read_bytes() == (out / "app-icon.ico").read_bytes()
    for size in (128, 256):
        copy = (package / f"app-icon-{size}.png").read_bytes()
        assert copy == (out / "png" / f"app-icon-{size}.png").read_bytes()


def test_generated_files_are_small(generated: tuple[Path, Path]) -> None:
    for folder in generated:
        for path in folder.rglob("*"):
            if path.is_file():
                assert path.stat().st_size < 300_000, path


def test_committed_assets_match_the_generator() -> None:
    # Fails when the drawing code changed without regenerating, or an output was hand-edited.
    gen = load_script()
    assert gen.main(["--check"]) == 0


def test_check_notices_an_out_of_date_file(
    generated: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, package = generated
    gen = load_script()
    stale_out = tmp_path / "assets"
    for path in out.rglob("*"):
        if path.is_file():
            target = stale_out / path.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    with Image.open(stale_out / "png" / "app-icon-48.png") as png:
        recoloured = ImageChops.invert(png.convert("RGB"))
    buffer = io.BytesIO()
    recoloured.save(buffer, format="PNG")
    (stale_out / "png" / "app-icon-48.png").write_bytes(buffer.getvalue())

    assert gen.main(["--check", "--out", str(stale_out), "--package-dir", str(package)]) == 1
    assert capsys.readouterr().err.count("out of date") == 1
