"""Module → distribution lookups: the fast one for signatures, the file lists for the slow path."""

from __future__ import annotations

import json
from pathlib import Path

from capture_samples import write_files

from openwer.capture.distributions import (
    FileOwners,
    distribution_named,
    distribution_of_module,
    normalize_name,
)
from openwer.capture.source_layout import SourceLayout


def _layout(*folders: Path) -> SourceLayout:
    return SourceLayout.from_sys_path(tuple(str(f) for f in folders))


def test_names_are_normalized_as_pep_503_says() -> None:
    """Runs of -, _ and . become one dash; case is folded."""
    assert normalize_name("Foo.Bar__baz-QUX") == "foo-bar-baz-qux"


def test_versions_come_from_folder_names_or_metadata(tmp_path: Path) -> None:
    """dist-info and egg-info names, METADATA and PKG-INFO, and egg-info files."""
    write_files(
        tmp_path,
        {
            "Requests-2.31.0.dist-info/METADATA": "Name: requests\nVersion: ignored\n",
            "oddly.dist-info/METADATA": "Name: oddly\nVersion: 4.5\n\nVersion: body\n",
            "six-1.16.0-py3.11.egg-info/PKG-INFO": "Name: six\n",
            "bare.egg-info/PKG-INFO": "Metadata-Version: 1.0\nName: bare\nVersion: 0.9\n",
            "flat-0.1.egg-info": "Name: flat\nVersion: 0.1\n",
            "plain.egg-info": "Name: plain\nVersion: 7.0\n",
            "empty.dist-info/README": "",
            "-broken.dist-info/METADATA": "",
            "requests/__init__.py": "",
        },
    )
    layout = _layout(tmp_path)
    found = {
        name: getattr(distribution_named(name, layout), "version", None)
        for name in ("requests", "oddly", "six", "bare", "flat", "plain", "empty", "missing")
    }
    assert found == {
        "requests": "2.31.0",
        "oddly": "4.5",
        "six": "1.16.0",
        "bare": "0.9",
        "flat": "0.1",
        "plain": "7.0",
        "empty": "0.0.0.0",
        "missing": None,
    }
    requests = distribution_named("REQUESTS", layout)
    assert requests is not None
    assert requests.name == "Requests"
    assert requests.normalized_name == "requests"


def test_a_module_is_found_by_its_package_name(tmp_path: Path) -> None:
    """The package named like the distribution, also dotted namespace packages."""
    write_files(
        tmp_path,
        {
            "requests-2.31.0.dist-info/METADATA": "",
            "zope.interface-6.0.dist-info/METADATA": "",
            "zope-1.0.dist-info/METADATA": "",
        },
    )
    folder = str(tmp_path)
    assert getattr(distribution_of_module("requests.adapters", folder), "version", None) == (
        "2.31.0"
    )
    zope = distribution_of_module("zope.interface.declarations", folder)
    assert zope is not None
    assert zope.name == "zope.interface"
    assert getattr(distribution_of_module("zope.other", folder), "name", None) == "zope"
    assert distribution_of_module("requests", None) is None
    assert distribution_of_module("", folder) is None


def test_top_level_txt_names_the_owner_when_it_is_unique(tmp_path: Path) -> None:
    """yaml → PyYAML by top_level.txt; a top-level listed twice is ambiguous."""
    write_files(
        tmp_path,
        {
            "PyYAML-6.0.1.dist-info/top_level.txt": "_yaml\nyaml\n",
            "protobuf-4.0.dist-info/top_level.txt": "google\n",
            "google_auth-2.0.dist-info/top_level.txt": "google\n",
        },
    )
    folder = str(tmp_path)
    yaml = distribution_of_module("yaml.loader", folder)
    assert yaml is not None
    assert (yaml.name, yaml.version) == ("PyYAML", "6.0.1")
    assert distribution_of_module("google.protobuf", folder) is None
    assert distribution_of_module("unknown_thing", folder) is None


def test_only_the_modules_own_folder_is_searched(tmp_path: Path) -> None:
    """An application module named like a distribution elsewhere is not taken for it."""
    site, app = tmp_path / "site", tmp_path / "app"
    write_files(site, {"utils-1.0.dist-info/METADATA": ""})
    write_files(app, {"utils.py": ""})
    assert distribution_of_module("utils", str(app)) is None
    assert distribution_of_module("utils", str(site)) is not None
    missing = tmp_path / "not-there"
    assert distribution_of_module("utils", str(missing)) is None


def test_distribution_named_follows_sys_path_order(tmp_path: Path) -> None:
    """The first folder along sys.path that has the distribution wins."""
    write_files(tmp_path / "one", {"tool-1.0.dist-info/METADATA": ""})
    write_files(tmp_path / "two", {"tool-2.0.dist-info/METADATA": ""})
    found = distribution_named("tool", _layout(tmp_path / "two", tmp_path / "one"))
    assert found is not None
    assert found.version == "2.0"


def test_file_owners_read_record_and_installed_files(tmp_path: Path) -> None:
    """RECORD (CSV, quoted names) and an egg's installed-files.txt map files to owners."""
    write_files(
        tmp_path,
        {
            "alpha/__init__.py": "",
            "alpha/odd,name.py": "",
            "alpha-1.0.dist-info/RECORD": (
                'alpha/__init__.py,sha256=x,0\n"alpha/odd,name.py",,\nalpha-1.0.dist-info/RECORD,,\n'
            ),
            "beta/__init__.py": "",
            "beta-2.0-py3.11.egg-info/installed-files.txt": "../beta/__init__.py\n\n",
        },
    )
    owners = FileOwners.scan(_layout(tmp_path))
    assert getattr(owners.owner(str(tmp_path / "alpha/__init__.py"), "alpha"), "name", "") == (
        "alpha"
    )
    assert owners.owner(str(tmp_path / "alpha/odd,name.py"), "alpha") is not None
    assert getattr(owners.owner(str(tmp_path / "beta/__init__.py"), "beta"), "version", "") == (
        "2.0"
    )
    assert owners.owner(str(tmp_path / "gamma.py"), "gamma") is None


def test_editable_installs_own_their_source_folder(tmp_path: Path) -> None:
    """direct_url.json editable: files under the source folder, for the right package only."""
    source = tmp_path / "checkout"
    site = tmp_path / "site"
    write_files(source, {"src/proj/__init__.py": "", "src/helper/__init__.py": ""})
    url = f"file://{source}"
    write_files(
        site,
        {
            "proj-0.3.dist-info/direct_url.json": json.dumps(
                {"url": url, "dir_info": {"editable": True}}
            ),
            "proj-0.3.dist-info/top_level.txt": "proj\nprojtools\n",
            "other-1.0.dist-info/direct_url.json": json.dumps({"url": url, "dir_info": {}}),
            "weird-1.0.dist-info/direct_url.json": "{not json",
            "remote-1.0.dist-info/direct_url.json": json.dumps(
                {"url": "https://example.invalid/x", "dir_info": {"editable": True}}
            ),
            "listy-1.0.dist-info/direct_url.json": "[]",
        },
    )
    owners = FileOwners.scan(_layout(site))
    project = owners.owner(str(source / "src/proj/__init__.py"), "proj")
    assert project is not None
    assert project.version == "0.3"
    assert owners.owner(str(source / "src/projtools.py"), "projtools") is project
    assert owners.owner(str(source / "src/helper/__init__.py"), "helper") is None
