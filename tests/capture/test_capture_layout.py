"""Where files sit (sys.path folders, stdlib) and how frames are described."""

from __future__ import annotations

import json
import os
import sys
import sysconfig
from pathlib import Path

from capture_samples import APP_CONFIG, raised, recurse

from openwer.capture.frames import (
    FrameInfo,
    FrameOrigin,
    bounded,
    describe_frame,
    module_of,
    origin_of,
    stack_entries,
    traceback_entries,
)
from openwer.capture.source_layout import SourceLayout, current_layout


def test_the_stdlib_folder_is_sysconfigs() -> None:
    """The os module's folder is sysconfig's stdlib path (found without sysconfig)."""
    layout = current_layout()
    assert os.path.normpath(sysconfig.get_path("stdlib")) in layout.stdlib_roots


def test_files_are_named_relative_to_their_sys_path_folder(tmp_path: Path) -> None:
    """The longest folder wins; site-packages inside the stdlib folder is not stdlib."""
    stdlib = os.path.dirname(os.__file__)
    site = os.path.join(stdlib, "site-packages")
    layout = SourceLayout.from_sys_path((stdlib, site, str(tmp_path), b"bytes", 3))
    in_site = layout.locate(os.path.join(site, "requests", "api.py"))
    assert (in_site.root, in_site.relative) == (site, "requests/api.py")
    assert in_site.in_site_packages
    assert not in_site.in_stdlib
    json_file = layout.locate(json.__file__)
    assert (json_file.relative, json_file.in_stdlib) == ("json/__init__.py", True)
    outside = layout.locate("/elsewhere/tool.py")
    assert (outside.root, outside.relative) == (None, "tool.py")
    frozen = layout.locate("<frozen runpy>")
    assert frozen.pseudo
    assert frozen.relative == "<frozen runpy>"
    assert layout.locate("").relative == "<unknown>"
    assert layout.locate(json.__file__) is json_file  # remembered


def test_the_current_layout_follows_sys_path(tmp_path: Path) -> None:
    """A changed sys.path gives a new layout; an unchanged one the same object."""
    before = current_layout()
    assert current_layout() is before
    sys.path.append(str(tmp_path))
    try:
        after = current_layout()
        assert after is not before
        assert str(tmp_path) in after.search_path
    finally:
        sys.path.remove(str(tmp_path))


def test_frames_are_described_without_paths() -> None:
    """Module, qualified function, line and offset, relative file, origin."""
    exc = raised(lambda: recurse(2))
    entries = traceback_entries(exc.__traceback__)
    info = describe_frame(*entries[-1], APP_CONFIG, current_layout())
    assert (info.module, info.function, info.origin) == (
        "capture_samples",
        "recurse",
        FrameOrigin.APPLICATION,
    )
    assert info.file == "capture_samples.py"
    assert info.line_offset == 3
    assert info.to_json()["line_offset"] == 3
    assert "folder" not in info.to_json()


def test_stack_entries_end_at_the_given_frame() -> None:
    """Outermost first; this test's own frame last."""
    entries = stack_entries(sys._getframe())
    assert entries[-1][0].f_code.co_name == "test_stack_entries_end_at_the_given_frame"
    assert stack_entries(None) == []


def test_bounded_keeps_both_ends() -> None:
    """20 outermost and the innermost rest, with the count of those dropped."""
    entries = stack_entries(sys._getframe())
    many = entries * 300
    kept, omitted = bounded(many, 50)
    assert len(kept) == 50
    assert omitted == len(many) - 50
    assert kept[:20] == many[:20]
    assert kept[20:] == many[-30:]
    assert bounded(entries, 1000) == (entries, 0)


def test_unknown_lines_have_no_offset() -> None:
    """A frame without a line number has line 0 and offset 0."""
    info = FrameInfo("m", "f", 0, 10, "m.py", FrameOrigin.APPLICATION)
    assert info.line_offset == 0
    frame = sys._getframe()
    assert describe_frame(frame, None, APP_CONFIG, current_layout()).line == 0


def test_module_names_come_from_globals_or_the_file(tmp_path: Path) -> None:
    """__name__, __main__ renamed, or the file's dotted path."""
    layout = SourceLayout.from_sys_path((str(tmp_path),))
    location = layout.locate(str(tmp_path / "pkg" / "sub" / "__init__.py"))
    assert module_of({}, location) == "pkg.sub"
    assert module_of({"__name__": 3}, location) == "pkg.sub"
    assert module_of({"__name__": "a.b"}, location) == "a.b"
    assert module_of({"__name__": "__main__", "__file__": "/x/tool.py"}, location) == "tool"
    assert module_of({"__name__": "__mp_main__", "__file__": "/x/tool.py"}, location) == "tool"
    assert module_of({}, layout.locate("/nowhere/x.py")) == "x.py"


def test_frozen_modules_are_stdlib_only_when_stdlib_names() -> None:
    """<frozen runpy> is stdlib; a frozen application module is not."""
    layout = current_layout()
    frozen = layout.locate("<frozen runpy>")
    assert origin_of("runpy", frozen, APP_CONFIG) is FrameOrigin.STDLIB
    custom = layout.locate("<frozen mytool>")
    assert origin_of("mytool", custom, APP_CONFIG) is FrameOrigin.APPLICATION
