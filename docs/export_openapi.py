"""Write the API's OpenAPI document to docs/api/openapi.json, for the manual to render.

The document is the one the app serves at /api/openapi.json: an app over a scratch
SQLite index and in-memory stores is asked for it, so nothing outside a temporary
directory is read or written. `make docs` runs this before MkDocs.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from phr_share.crypto import LocalKeyStore
from phr_share.db import Database
from phr_share.policy import load_routing_policy
from phr_share.settings import Settings
from phr_share.sharing import Services
from phr_share.storage import MemoryStore
from phr_share.web import create_app

OUT = Path(__file__).parent / "api" / "openapi.json"


def openapi_document(scratch: Path) -> bytes:
    """The OpenAPI document as the app serves it, from an app over scratch state."""
    url = f"sqlite:///{scratch / 'index.db'}"
    secret = bytes(32)
    settings = Settings(state_dir=scratch, database_url=url, deid_secret=secret)
    db = Database(url)
    db.migrate()
    svc = Services(
        settings=settings,
        db=db,
        private=MemoryStore(),
        public=MemoryStore(),
        keystore=LocalKeyStore(scratch / "keys"),
        routing=load_routing_policy(),
        deid_secret=secret,
    )
    try:
        answer = create_app(settings, svc, {"TESTING": True}).test_client().get("/api/openapi.json")
        if answer.status_code != 200:
            sys.exit(f"the app answered {answer.status_code} for /api/openapi.json")
        return json.dumps(answer.get_json(), indent=2, sort_keys=False).encode() + b"\n"
    finally:
        svc.close()


def main() -> None:
    """Write the document, leaving the file alone when it has not changed."""
    with tempfile.TemporaryDirectory() as scratch:
        document = openapi_document(Path(scratch))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if not OUT.exists() or OUT.read_bytes() != document:
        OUT.write_bytes(document)
        OUT.chmod(0o644)  # the app keeps its state private; this is a public document


if __name__ == "__main__":
    main()
