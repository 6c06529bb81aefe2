"""The shared app-icon lookup used by the notifier, the autostart entry and the settings window."""

from __future__ import annotations

from pathlib import Path

from tray_app.support.resources import find_app_icon


def make(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"\x89PNG")


def test_the_size_closest_to_the_preferred_one_wins(tmp_path: Path) -> None:
    make(tmp_path, "app-icon.png", "app-icon-16.png", "app-icon-128.png", "app-icon-256.png")
    assert find_app_icon(128, directory=tmp_path) == tmp_path / "app-icon-128.png"
    assert find_app_icon(256, directory=tmp_path) == tmp_path / "app-icon-256.png"
    assert find_app_icon(20, directory=tmp_path) == tmp_path / "app-icon-16.png"


def test_the_master_beats_a_size_far_from_the_preferred_one(tmp_path: Path) -> None:
    make(tmp_path, "app-icon.png", "app-icon-16.png")
    assert find_app_icon(128, directory=tmp_path) == tmp_path / "app-icon.png"
    (tmp_path / "app-icon.png").unlink()
    assert find_app_icon(128, directory=tmp_path) == tmp_path / "app-icon-16.png"


def test_other_files_and_suffixes_are_ignored(tmp_path: Path) -> None:
    make(tmp_path, "badge-128.png", "app-icon.ico")
    assert find_app_icon(128, directory=tmp_path) is None
    assert find_app_icon(128, suffix=".ico", directory=tmp_path) == tmp_path / "app-icon.ico"
    assert find_app_icon(128, directory=tmp_path / "missing") is None


def test_the_shipped_assets_have_the_renderings_consumers_ask_for() -> None:
    notification = find_app_icon(128)
    autostart = find_app_icon(256)
    assert notification is not None
    assert notification.name == "app-icon-128.png"
    assert autostart is not None
    assert autostart.name == "app-icon-256.png"
