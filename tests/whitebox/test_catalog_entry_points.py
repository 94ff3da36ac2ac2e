"""White-box tests of one internal module: neurogebra.catalog._entry_points.

The packs' entry points are found as importlib.metadata finds them, faster, and
their distributions' names and versions read from the metadata's headers.
"""

import importlib
import importlib.metadata
import sys
import zipfile

import pytest

from neurogebra.catalog import ENTRY_POINT_GROUP
from neurogebra.catalog._entry_points import _name_and_version, entry_points

GROUP = "example.group"


def described(found):
    """What a user of an entry point sees: its name, target and distribution."""
    return [(ep.name, ep.value, ep.group, ep.dist.metadata["Name"], ep.dist.version)
            for ep in found]


def standard(group):
    importlib.invalidate_caches()
    return described(importlib.metadata.entry_points(group=group))


def install(directory, folder, name, version, entry_points_text=None):
    """A metadata folder as pip leaves it (only the files read here)."""
    path = directory / folder
    path.mkdir(parents=True)
    (path / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                   "\nA long description.\nName: not the name\n")
    if entry_points_text is not None:
        (path / "entry_points.txt").write_text(entry_points_text)


@pytest.mark.parametrize("group", [ENTRY_POINT_GROUP, "console_scripts", "pytest11"])
def test_the_installed_entry_points_are_importlib_metadatas(group):
    assert described(entry_points(group)) == standard(group)
    if group == ENTRY_POINT_GROUP:
        assert {"activations", "losses"} <= {ep.name for ep in entry_points(group)}


def test_the_first_project_of_a_name_on_sys_path_hides_the_later_ones(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    install(first, "My.Pack-1.0.dist-info", "My.Pack", "1.0")          # no entry points
    install(second, "my_pack-2.0.dist-info", "my_pack", "2.0", f"[{GROUP}]\nhidden = m:f\n")
    install(second, "other-3.0.dist-info", "other", "3.0",
            f"[{GROUP}]\nshown = other.mod:hook [extra]\n[other.group]\nno = x:y\n")
    install(second, "legacy.egg-info", "legacy", "0.1", f"[{GROUP}]\nold = legacy:hook\n")
    install(second, "mentions-1.0.dist-info", "mentions", "1.0",
            f"[other.group]\nname = {GROUP}:value\n")
    install(second, "no_file-1.0.dist-info", "no_file", "1.0")
    (second / "a_file.dist-info").write_text("not a folder")
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "absent"), str(second)])

    found = described(entry_points(GROUP))
    assert sorted(found) == [("old", "legacy:hook", GROUP, "legacy", "0.1"),
                             ("shown", "other.mod:hook [extra]", GROUP, "other", "3.0")]
    assert found == standard(GROUP)


@pytest.mark.parametrize("folder", ["Zed-1.0.DIST-INFO", "-1.0.dist-info"])
def test_a_folder_not_named_by_its_project_is_left_to_importlib_metadata(folder, tmp_path,
                                                                          monkeypatch):
    """importlib.metadata names such a folder by the Name in its METADATA, which
    may hide a later project of that name."""
    first, second = tmp_path / "first", tmp_path / "second"
    install(first, folder, "other", "1.0", f"[{GROUP}]\nfirst = one:hook\n")
    install(second, "other-2.0.dist-info", "other", "2.0", f"[{GROUP}]\nhidden = two:hook\n")
    monkeypatch.setattr(sys, "path", [str(first), str(second)])
    assert described(entry_points(GROUP)) == standard(GROUP)
    assert [ep.name for ep in entry_points(GROUP)] == ["first"]


def test_a_zip_on_sys_path_is_left_to_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "packs.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\nVersion: 1.0\n\n")
        zipped.writestr("zipped-1.0.dist-info/entry_points.txt", f"[{GROUP}]\nz = zipped:hook\n")
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert described(entry_points(GROUP)) == [("z", "zipped:hook", GROUP, "zipped", "1.0")]


def test_another_finder_of_distributions_is_asked_through_importlib_metadata(monkeypatch):
    class Finder(importlib.metadata.DistributionFinder):
        @staticmethod
        def find_spec(*args):
            return None

        @staticmethod
        def find_distributions(context=None):
            return [Installed()]

    class Installed(importlib.metadata.Distribution):
        def read_text(self, filename):
            return {"METADATA": "Name: elsewhere\nVersion: 9\n\n",
                    "entry_points.txt": f"[{GROUP}]\ne = elsewhere:hook\n"}.get(filename)

        def locate_file(self, path):
            return path

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert ("e", "elsewhere:hook", GROUP, "elsewhere", "9") in described(entry_points(GROUP))


class Metadata:
    """A distribution holding one metadata file."""
    def __init__(self, filename, text):
        self.files = {filename: text}
        self.metadata = {"Name": "asked"}
        self.version = "0"

    def read_text(self, filename):
        return self.files.get(filename)


@pytest.mark.parametrize("filename", ["METADATA", "PKG-INFO"])
def test_name_and_version_come_from_the_headers(filename):
    text = ("Metadata-Version: 2.1\r\nName: pack-name\r\nSummary: s\r\nVersion: 1.2.3\r\n\r\n"
            "Name: a line of the description\r\nVersion: 0\r\n")
    assert _name_and_version(Metadata(filename, text)) == ("pack-name", "1.2.3")


def test_a_distribution_without_those_headers_is_asked():
    assert _name_and_version(Metadata("METADATA", "Name: only\n\nVersion: 1\n")) == ("asked", "0")
