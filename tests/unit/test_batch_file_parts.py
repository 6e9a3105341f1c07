"""The loader splits a large BATCH file into parts of whole lines, loaded on parallel connections."""

from __future__ import annotations

from pathlib import Path

from lana_target_postgres import SPLIT_FROM_BYTES, Part, _parts


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
