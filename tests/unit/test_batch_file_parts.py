"""BATCH files: the loader splits a large one into parts of whole lines, loaded on parallel
connections; the tap reads back the last line of its COPY text files (for its bookmark)."""

from __future__ import annotations

from pathlib import Path

from lana_target_postgres import SPLIT_FROM_BYTES, Part, _parts
from tap_lana_events.batch_files import copy_text_fields


def _read(path: Path, part: Part) -> bytes:
    with path.open("rb") as source:
        source.seek(part.start)
        return b"".join(part.chunks(source))


def test_a_large_file_is_split_into_whole_lines_that_cover_it_exactly(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    lines = [f'{{"n": {i}, "text": "{"é" * (i % 53)}\\\\n"}}\n'.encode() for i in range(200_000)]
    path.write_bytes(b"".join(lines))
    assert path.stat().st_size > SPLIT_FROM_BYTES
    for count in (2, 3, 7):
        parts = _parts(path, count)
        assert len(parts) == count
        pieces = [_read(path, part) for part in parts]
        assert b"".join(pieces) == path.read_bytes()
        assert all(p.startswith(b'{"n": ') and p.endswith(b"}\n") for p in pieces)


def test_a_small_file_is_one_part(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2}\n')
    assert _parts(path, 2) == [Part(0, None)]
    assert _read(path, Part(0, None)) == path.read_bytes()


def test_a_copy_text_line_reads_back_as_the_values_written() -> None:
    """PostgreSQL's COPY text format as `COPY ... TO` writes it: tab-separated, `\\N` for NULL,
    backslash escapes for what would break a line or a field."""
    line = b"a\\tb\\nc\\\\d\t\\N\t\\\\N\t\\r\\b\\f\\v\t\xc3\xa9\n"
    assert copy_text_fields(line) == ["a\tb\nc\\d", None, "\\N", "\r\b\f\v", "é"]
