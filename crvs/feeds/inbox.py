"""The inbox channel (files): delivery folders waiting in settings.inbox_dir(), and where they go
once handled.

    inbox/<delivery folder>/manifest.json + CSVs   waiting to be loaded
    inbox/processed/<delivery folder>/             loaded, or already loaded before (files kept)
    inbox/rejected/<delivery folder>/              refused whole; the reason is in
                                                   quarantine.rejected_deliveries and the task log

Folders whose name starts with "." or "_" are ignored, so an agency (or a mail robot) can copy a
delivery under a temporary name and rename it when complete.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path

from crvs import settings

log = logging.getLogger(__name__)

PROCESSED = "processed"
REJECTED = "rejected"
MANIFEST = "manifest.json"


# The agency whose ingest DAG takes inbox folders that name no known agency (an unreadable manifest,
# a wrong agency code): the one that runs most often, so such a folder is rejected, with its reason,
# within a day rather than sitting in the inbox unnoticed.
UNATTRIBUTED_OWNER = "MOJ"


def scan_inbox(inbox: Path | None = None, agency: str | None = None) -> list[str]:
    """Delivery folders waiting in the inbox (those with a manifest.json), oldest first; with
    `agency`, only that agency's (see inbox_agency; folders of no known agency go to
    UNATTRIBUTED_OWNER).

    Oldest = earliest `extracted_at` in the manifest, then folder name; a manifest that cannot be
    read sorts first, so the loader rejects it with its reason in the same run. Returns absolute
    paths as strings (task arguments must be JSON)."""
    inbox = Path(inbox or settings.inbox_dir())
    if not inbox.is_dir():
        log.info("inbox %s does not exist yet: nothing to load", inbox)
        return []
    waiting = [
        path
        for path in inbox.iterdir()
        if path.is_dir()
        and path.name not in (PROCESSED, REJECTED)
        and not path.name.startswith((".", "_"))
        and (path / MANIFEST).is_file()
    ]
    if agency is not None:
        waiting = [path for path in waiting if (inbox_agency(path) or UNATTRIBUTED_OWNER) == agency]
    return [str(path) for path in sorted(waiting, key=_age_key)]


def inbox_agency(folder: Path) -> str | None:
    """The agency a delivery folder belongs to: its manifest's `agency`, else the folder name's
    prefix (MOH-2025Q3-0001 → MOH); None when neither names a known agency."""
    from crvs.feeds.contract import AGENCIES

    try:
        agency = json.loads((folder / MANIFEST).read_text(encoding="utf-8-sig")).get("agency")
    except (OSError, ValueError, AttributeError):
        agency = None
    if agency in AGENCIES:
        return agency
    prefix = folder.name.split("-", 1)[0].upper()
    return prefix if prefix in AGENCIES else None


def _age_key(folder: Path) -> tuple[str, str]:
    try:
        extracted_at = json.loads((folder / MANIFEST).read_text(encoding="utf-8-sig")).get("extracted_at")
    except (OSError, ValueError, AttributeError):
        extracted_at = None
    if not isinstance(extracted_at, str):
        return ("", folder.name)
    try:
        # Compare instants, not strings: agencies write different UTC offsets.
        instant = dt.datetime.fromisoformat(extracted_at).astimezone(dt.timezone.utc).isoformat()
    except ValueError:
        instant = ""
    return (instant, folder.name)


def manifest_channel(folder: Path) -> str | None:
    """EMAIL for a folder saved from an e-mail (crvs.feeds.mail writes it in the manifest)."""
    try:
        channel = json.loads((folder / MANIFEST).read_text(encoding="utf-8-sig")).get("channel")
    except (OSError, ValueError, AttributeError):
        return None
    return "EMAIL" if channel == "EMAIL" else None


def archive(folder: Path, *, rejected: bool) -> Path:
    """Move a handled delivery folder to inbox/processed or inbox/rejected, keeping its files.

    A folder of the same name already there (the same delivery sent twice) is kept; the new one
    gets a numbered suffix."""
    target_dir = folder.parent / (REJECTED if rejected else PROCESSED)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / folder.name
    n = 1
    while target.exists():
        n += 1
        target = target_dir / f"{folder.name}.{n}"
    shutil.move(str(folder), str(target))
    return target
