"""Delivery to a Cloud Storage bucket, offline, against the gcp-storage-emulator from PyPI: every
file copied byte for byte with the manifest last, and a re-delivery of the date replaces it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.delivery.bucket import BucketDeliveryError, bucket_filesystem, upload_delivery

BUCKET = "gs://lana-finance/daily"


@pytest.fixture(scope="module")
def emulator():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(Path(sys.executable).with_name("gcp-storage-emulator")),
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--in-memory",
        "--default-bucket",
        "lana-finance",
        "-q",
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("the Cloud Storage emulator did not start")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:  # its werkzeug server may ignore SIGTERM while busy
        server.kill()
        server.wait(timeout=10)


def _delivery(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    manifest = {"business_date": folder.name, "files": [{"name": n} for n in sorted(files)]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_delivery_is_copied_with_its_manifest_last_and_a_redelivery_replaces_it(emulator, tmp_path) -> None:
    filesystem = bucket_filesystem(BUCKET, emulator)
    folder = _delivery(
        tmp_path / "2025-12-31", {"balance_sheet.csv": b"a,b\n1,2\n", "pack.pdf": b"%PDF-1.4 ..."}
    )
    written = upload_delivery(folder, BUCKET, filesystem)
    assert written[-1] == f"{BUCKET}/2025-12-31/manifest.json"
    prefix = "lana-finance/daily/2025-12-31"
    filesystem.invalidate_cache()
    assert sorted(Path(p).name for p in filesystem.ls(prefix, detail=False)) == [
        "balance_sheet.csv",
        "manifest.json",
        "pack.pdf",
    ]
    assert filesystem.cat(f"{prefix}/pack.pdf") == b"%PDF-1.4 ..."

    # The date delivered again with one file changed and one gone: the bucket holds exactly it.
    _delivery(folder, {"balance_sheet.csv": b"a,b\n1,3\n"})
    upload_delivery(folder, BUCKET, filesystem)
    filesystem.invalidate_cache()
    assert sorted(Path(p).name for p in filesystem.ls(prefix, detail=False)) == [
        "balance_sheet.csv",
        "manifest.json",
    ]
    assert filesystem.cat(f"{prefix}/balance_sheet.csv") == b"a,b\n1,3\n"
    assert json.loads(filesystem.cat(f"{prefix}/manifest.json")) == json.loads(
        (folder / "manifest.json").read_text()
    )


def test_a_bucket_that_is_not_gs_is_refused_by_name() -> None:
    with pytest.raises(BucketDeliveryError, match="must be a gs:// URL, not 's3://x'"):
        bucket_filesystem("s3://x")


def test_files_that_name_people_stay_out_of_finance_s_bucket(emulator, tmp_path) -> None:
    filesystem = bucket_filesystem(BUCKET, emulator)
    folder = _delivery(tmp_path / "2025-11-30", {"balance_sheet.csv": b"a\n1\n"})
    (folder / "restricted").mkdir(mode=0o700)
    (folder / "restricted" / "credit.xml").write_bytes(b"<names/>")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"].append({"name": "restricted/credit.xml", "restricted": True})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    written = upload_delivery(folder, BUCKET, filesystem)
    assert [Path(w).name for w in written] == ["balance_sheet.csv", "manifest.json"]
    filesystem.invalidate_cache()
    assert not filesystem.exists("lana-finance/daily/2025-11-30/restricted")
