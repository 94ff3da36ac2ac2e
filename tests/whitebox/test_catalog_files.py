"""White-box tests of one internal module: neurogebra.catalog._files.

They lower the module's bounds to check, on small inputs, that a folder
search stops at its entry limit and that a file growing past the size limit
after its size was checked is still refused.
"""

import pytest

from neurogebra import DefinitionError, MathForge
from neurogebra.catalog import _files


def test_a_folder_search_stops_at_its_entry_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_files, "MAX_FOLDER_ENTRIES", 3)
    for i in range(4):
        (tmp_path / f"f{i}.txt").write_text("")
    with pytest.raises(DefinitionError, match="more than 3 entries under this folder"):
        MathForge(plugins="none").load(tmp_path)


def test_reading_stops_one_byte_past_the_size_limit(tmp_path, monkeypatch):
    path = tmp_path / "grown.yaml"
    path.write_text("schema: 1\nfunctions: []\n# padding\n")
    monkeypatch.setattr(_files, "MAX_FILE_BYTES", 10)
    real_fstat = _files.os.fstat

    def small_stat(descriptor):   # as if the file grew after its size was checked
        info = real_fstat(descriptor)
        return type("Stat", (), {"st_mode": info.st_mode, "st_size": 5})()
    monkeypatch.setattr(_files.os, "fstat", small_stat)
    assert len(_files._read_regular_file(path, str(path))) == 11
    with pytest.raises(DefinitionError, match="file is larger than 10 bytes"):
        _files.read_definition_file(path)
