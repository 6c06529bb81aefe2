"""Per-size text, HiDPI scale and the four badge styles: the decision (core) and the pixels
(real Pillow renders, no display). The OCR read-back is in tests/unit/tray/test_badge_ocr.py."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tray_app.config.config_file import save_settings
from tray_app.config.loading import load_settings
from tray_app.config.model import ConfigError, Settings
from tray_app.config.parse import parse_settings
from tray_app.core import fmt
from tray_app.core.badge import (
    GAUGE_MIN_PX,
    SMALL_BADGE_PX,
    BadgeKind,
    BadgeStyle,
    badge_for_balance,
    state_badge,
)
from tray_app.core.levels import Level
from tray_app.core.view import Extras, present
from tray_app.tray.appearance import panel_for_color_scheme
from tray_app.tray.badge_drawing import render_badge
from tray_app.tray.badge_palette import LEVEL_FILL, Panel
from tray_app.tray.badge_renderer import BadgeRenderer, load_badge_font
from tray_app.tray.pystray_tray import WINDOWS_TRAY_SIZES, badge_geometry, windows_icon_bytes

HOST_SIZES = (16, 20, 22, 24, 32, 48, 64)


@pytest.fixture(scope="module")
def renderer() -> BadgeRenderer:
    return BadgeRenderer(max_entries=2048)


# --- what text at which size (core) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("credits", "short"),
    [
        (0, "0"),
        (950, "950"),
        (999, "999"),
        (1_000, "1k"),
        (4_240, "4.2k"),
        (9_960, "10k"),
        (12_500, "13k"),
        (28_550, "29k"),
        (125_400, "125k"),
        (999_600, "1M"),
        (1_200_000, "1.2M"),
        (45_000_000, "45M"),
        (-2_500, "-2.5k"),
    ],
)
def test_the_short_form_has_at_most_three_digits(credits: int, short: str) -> None:
    assert fmt.compact_short(credits) == short
    assert sum(c.isdigit() for c in short) <= 3


def test_small_badges_show_the_short_text_and_no_gauge() -> None:
    spec = badge_for_balance(28_550, 0.8, Level.OK)
    assert [spec.text_at(size) for size in HOST_SIZES] == [
        "29k",
        "29k",
        "28.6k",
        "28.6k",
        "28.6k",
        "28.6k",
        "28.6k",
    ]
    assert [spec.has_gauge_at(size) for size in HOST_SIZES] == [
        size >= GAUGE_MIN_PX for size in HOST_SIZES
    ]
    assert SMALL_BADGE_PX == 22
    # Without a share there is never a gauge.
    assert not badge_for_balance(28_550, None, Level.OK).has_gauge_at(64)


def test_percent_style_shows_the_share_and_falls_back_to_the_number() -> None:
    spec = badge_for_balance(28_550, 28_550 / 35_050, Level.OK, style=BadgeStyle.PERCENT)
    assert (spec.text, spec.text_at(16), spec.style) == ("81%", "81%", BadgeStyle.PERCENT)
    unknown_total = badge_for_balance(28_550, None, Level.OK, style=BadgeStyle.PERCENT)
    assert (unknown_total.text, unknown_total.text_at(16)) == ("28.6k", "29k")
    # Never "0%" while credits are left, never "100%" for less than all.
    assert badge_for_balance(5, 0.001, Level.CRITICAL, style=BadgeStyle.PERCENT).text == "<1%"


def test_the_view_carries_the_configured_style_to_every_badge() -> None:
    from tray_app.core.state import MonitorState, Problem

    for style in BadgeStyle:
        extras = Extras(badge_style=style)
        starting = present(MonitorState(), (), 0.0, extras)
        rejected = present(MonitorState(problem=Problem.KEY_REJECTED), (), 0.0, extras)
        assert starting.badge.style is style
        assert rejected.badge == state_badge(BadgeKind.KEY_REJECTED, style)


# --- sizes and scale (pixels) ----------------------------------------------------------------


@pytest.mark.parametrize("style", list(BadgeStyle))
@pytest.mark.parametrize("scale", [1, 2])
def test_every_style_draws_every_kind_at_every_host_size(
    renderer: BadgeRenderer, style: BadgeStyle, scale: int
) -> None:
    specs = [
        badge_for_balance(28_550, 0.8, Level.OK, style=style),
        badge_for_balance(28_550, 0.8, Level.OK, stale=True, style=style),
        badge_for_balance(28_550, 0.8, Level.OK, rate_limited=True, style=style),
        *(state_badge(kind, style) for kind in BadgeKind if kind is not BadgeKind.LEVEL),
    ]
    for size in HOST_SIZES:
        images = [renderer.render(spec, size, scale=scale) for spec in specs]
        for image in images:
            assert image.size == (size * scale, size * scale)
            assert image.mode == "RGBA"
            assert image.getchannel("A").getextrema()[1] > 0, "an invisible badge"
        # Every kind looks different from every other at every size, except that below 22 px
        # (no room for the corner marker) rate-limited is greyed like stale.
        # Coincidences by design: without a number, stale and rate-limited are both "?" when
        # there is no room for a marker (monochrome never draws one); below 22 px a number
        # told to wait is greyed like a stale one (the gauge ring keeps its centre marker).
        small = size < SMALL_BADGE_PX
        unknown_pair = small or style is BadgeStyle.MONOCHROME
        number_pair = small and style is not BadgeStyle.GAUGE
        distinct = len(images) - unknown_pair - number_pair
        assert len({image.tobytes() for image in images}) == distinct, (style, size)
        if number_pair:
            stale_unknown, limited_unknown = (
                renderer.render(state_badge(kind, style), size, scale=scale)
                for kind in (BadgeKind.STALE, BadgeKind.RATE_LIMITED)
            )
            assert images[1].tobytes() == images[2].tobytes(), (style, size)
            assert stale_unknown.tobytes() == limited_unknown.tobytes(), (style, size)


def test_a_2x_badge_is_drawn_for_its_pixels_not_enlarged(renderer: BadgeRenderer) -> None:
    spec = badge_for_balance(28_550, 0.8, Level.OK)
    sharp = renderer.render(spec, 16, scale=2)
    enlarged = renderer.render(spec, 16).resize((32, 32), Image.Resampling.NEAREST)
    assert sharp.size == enlarged.size == (32, 32)
    assert sharp.tobytes() != enlarged.tobytes()
    # 16 px at 2x keeps the 16 px text ("29k"): not the same picture as a 32 px badge.
    assert sharp.tobytes() != renderer.render(spec, 32).tobytes()


def test_bad_scales_are_refused() -> None:
    spec = badge_for_balance(950, 0.1, Level.LOW)
    for scale in (0, 5):
        with pytest.raises(ValueError, match="scale"):
            render_badge(spec, 22, load_badge_font(), scale=scale)


# --- styles (pixels) ------------------------------------------------------------------------


@pytest.mark.parametrize("panel", list(Panel))
def test_monochrome_is_one_ink_on_transparency(renderer: BadgeRenderer, panel: Panel) -> None:
    spec = badge_for_balance(28_550, 0.8, Level.CRITICAL, style=BadgeStyle.MONOCHROME)
    for size in HOST_SIZES:
        image = renderer.render(spec, size, panel=panel)
        colours = {
            px[:3]
            for count, px in image.getcolors(maxcolors=size * size) or []
            if isinstance(px, tuple) and px[3] > 0
        }
        assert colours == {panel.foreground}, (size, colours)
        assert rgba_alpha(image, (0, 0)) == 0  # transparent around the ink
    # Light ink on dark panels, dark ink on light ones.
    assert sum(Panel.DARK.foreground) > 600
    assert sum(Panel.LIGHT.foreground) < 200


def test_the_panel_follows_the_portal_color_scheme() -> None:
    assert panel_for_color_scheme(1) is Panel.DARK
    for value in (0, 2, None):
        assert panel_for_color_scheme(value) is Panel.LIGHT


def level_pixels(image: Image.Image, level: Level) -> int:
    fill = LEVEL_FILL[level]
    return sum(
        count
        for count, px in image.getcolors(maxcolors=image.width * image.height) or []
        if isinstance(px, tuple) and px[:3] == fill and px[3] == 255
    )


def test_the_gauge_ring_has_no_text_and_fills_with_the_share(renderer: BadgeRenderer) -> None:
    def ring(credits: int, fraction: float) -> Image.Image:
        spec = badge_for_balance(credits, fraction, Level.OK, style=BadgeStyle.GAUGE)
        return renderer.render(spec, 32)

    # Different numbers, same share: the same picture (no text is drawn).
    assert ring(28_550, 0.5).tobytes() == ring(1_200_000, 0.5).tobytes()
    filled = [level_pixels(ring(1000, f), Level.OK) for f in (0.1, 0.25, 0.5, 0.75, 1.0)]
    assert filled == sorted(filled)
    assert filled[2] == pytest.approx(filled[4] / 2, rel=0.15)
    assert level_pixels(ring(0, 0.0), Level.OK) == 0
    # The centre is left transparent for a fresh balance.
    assert ring(1000, 0.5).getpixel((16, 16)) == (0, 0, 0, 0)


def test_percent_and_number_draw_different_text(renderer: BadgeRenderer) -> None:
    number = badge_for_balance(28_550, 0.8, Level.OK)
    percent = badge_for_balance(28_550, 0.8, Level.OK, style=BadgeStyle.PERCENT)
    for size in HOST_SIZES:
        assert renderer.render(number, size).tobytes() != renderer.render(percent, size).tobytes()


def test_the_cache_keeps_scale_and_panel_apart() -> None:
    renderer = BadgeRenderer(max_entries=8)
    spec = badge_for_balance(950, 0.1, Level.LOW, style=BadgeStyle.MONOCHROME)
    a = renderer.render(spec, 22)
    b = renderer.render(spec, 22, panel=Panel.DARK)
    c = renderer.render(spec, 22, scale=2)
    assert len({id(a), id(b), id(c)}) == 3
    assert renderer.render(spec, 22, panel=Panel.LIGHT) is a
    renderer.panel = Panel.DARK
    assert renderer.render(spec, 22) is b


# --- adapters --------------------------------------------------------------------------------


def test_each_platform_gets_the_geometry_it_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LENSMOR_TRAY_ICON_SIZE", raising=False)
    monkeypatch.delenv("GDK_SCALE", raising=False)
    assert badge_geometry("darwin") == (22, 2)  # 22 pt menu bar at Retina 2x
    assert badge_geometry("appindicator") == (32, 1)
    monkeypatch.setenv("GDK_SCALE", "2")
    assert badge_geometry("gtk") == (64, 1)


def test_the_windows_icon_carries_our_drawing_for_every_dpi(renderer: BadgeRenderer) -> None:
    spec = badge_for_balance(28_550, 0.8, Level.OK)
    data = windows_icon_bytes(renderer, spec)
    with Image.open(io.BytesIO(data)) as ico:
        assert ico.format == "ICO"
        assert set(ico.info["sizes"]) == {(s, s) for s in WINDOWS_TRAY_SIZES}
    for size in WINDOWS_TRAY_SIZES:
        # Each frame is our own render for that size, not a rescaled copy of another.
        with Image.open(io.BytesIO(data)) as ico:
            ico.size = (size, size)
            frame = ico.convert("RGBA")
        assert frame.tobytes() == renderer.render(spec, size).tobytes(), size


# --- the setting -----------------------------------------------------------------------------


@pytest.mark.parametrize("style", list(BadgeStyle))
def test_badge_style_round_trips_through_the_config(tmp_path: object, style: BadgeStyle) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "config.toml"
    save_settings(path, Settings(badge_style=style))
    assert f'badge_style = "{style.value}"' in path.read_text()
    assert load_settings(path).badge_style is style


def test_badge_style_defaults_to_number_and_ignores_case() -> None:
    assert parse_settings({}).badge_style is BadgeStyle.NUMBER
    assert parse_settings({"badge_style": "Percent"}).badge_style is BadgeStyle.PERCENT


@pytest.mark.parametrize("value", ["sparkly", "", 3, True, ["number"]])
def test_a_bad_badge_style_is_one_line_naming_the_key_and_choices(value: object) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings({"badge_style": value}, origin="config.toml")
    message = str(info.value)
    assert message.startswith(
        "config.toml: badge_style must be one of number, percent, gauge, monochrome, got "
    )
    assert "\n" not in message


def rgba_alpha(image: Image.Image, xy: tuple[int, int]) -> int:
    px = image.getpixel(xy)
    assert isinstance(px, tuple)
    return int(px[3])
