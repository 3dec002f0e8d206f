"""Reading a database the way an auditor would: through a storage of its own."""

from __future__ import annotations

import asyncio
from typing import Any

from service.storage import open_storage


def stored_feedback(url: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        storage = open_storage(url)
        try:
            return await storage.feedback()
        finally:
            await storage.close()

    return asyncio.run(read())
