"""The alerts the warehouse recorded, read back as the operator's monitoring reads alerts.jsonl."""

from __future__ import annotations

import json
from typing import Any

from crvs.quality.alerts import alerts_file


def read_alerts() -> list[dict[str, Any]]:
    path = alerts_file()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
