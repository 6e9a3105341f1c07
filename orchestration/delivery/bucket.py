"""Copy a business date's delivery to a Cloud Storage bucket, where finance reads it (gcsfs);
not its restricted files (they name people).

Only a delivery that was validated and written in full locally is copied. Readers take a date as
delivered when its `manifest.json` is there, so the manifest goes first out and last in: a
re-delivery removes the old manifest, uploads every file (each upload replaces its object
whole), removes objects the new delivery no longer has, then writes the new manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


class BucketDeliveryError(RuntimeError):
    """The copy to the bucket failed; the local delivery stands, the date is not marked delivered there."""


def bucket_filesystem(bucket_url: str, endpoint_url: str | None = None) -> Any:
    """The bucket's filesystem: Google's credentials (application default), or an emulator's
    endpoint with anonymous access (tests)."""
    import gcsfs

    if not bucket_url.startswith("gs://"):
        raise BucketDeliveryError(f"the reports bucket must be a gs:// URL, not {bucket_url!r}")
    if endpoint_url:
        return gcsfs.GCSFileSystem(endpoint_url=endpoint_url, token="anon")
    return gcsfs.GCSFileSystem()


def upload_delivery(folder: Path, bucket_url: str, filesystem: Any) -> list[str]:
    """Copy `folder` (one business date's files and its manifest) to `<bucket_url>/<folder name>/`;
    returns the objects written, the manifest last."""
    manifest = json.loads((folder / MANIFEST).read_text())
    # Files that name people stay in the delivery's restricted folder: finance's bucket never
    # holds them.
    names = [entry["name"] for entry in manifest["files"] if not entry.get("restricted")]
    prefix = f"{bucket_url.removeprefix('gs://').rstrip('/')}/{folder.name}"
    try:
        filesystem.invalidate_cache(prefix)  # what is there now, not a listing remembered
        existing = (
            {Path(p).name for p in filesystem.ls(prefix, detail=False)}
            if filesystem.exists(prefix)
            else set()
        )
        if MANIFEST in existing:
            filesystem.rm_file(f"{prefix}/{MANIFEST}")  # the date is not delivered while it changes
        written = []
        for name in names:
            filesystem.pipe_file(f"{prefix}/{name}", (folder / name).read_bytes())
            written.append(f"gs://{prefix}/{name}")
        for stale in sorted(existing - set(names) - {MANIFEST}):
            filesystem.rm_file(f"{prefix}/{stale}")
        filesystem.pipe_file(f"{prefix}/{MANIFEST}", (folder / MANIFEST).read_bytes())
        written.append(f"gs://{prefix}/{MANIFEST}")
    except OSError as error:
        raise BucketDeliveryError(f"copying {folder.name} to {bucket_url} failed: {error}") from None
    return written
