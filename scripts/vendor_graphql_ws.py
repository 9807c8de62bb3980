"""Fetch graphql-ws's browser build again from npm and check it against its manifest.

    python scripts/vendor_graphql_ws.py          # re-fetch with `npm pack`, verify, write
    python scripts/vendor_graphql_ws.py --check  # only verify the vendored file (no network)

The manifest (src/payable/web/widget_assets/graphql-ws.json) pins the package, its version,
the registry's integrity hash of the tarball and the sha256 of the one file we ship. A new
version is taken by editing "version", running with --update (which records the new hashes),
and reviewing the diff.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "src" / "payable" / "web" / "widget_assets"
MANIFEST = ASSETS / "graphql-ws.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def integrity(data: bytes) -> str:
    """npm's Subresource-Integrity form of a tarball's hash."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def check(manifest: dict[str, str]) -> str | None:
    shipped = ASSETS / manifest["vendored"]
    if not shipped.exists():
        return f"{shipped} is missing"
    if sha256(shipped.read_bytes()) != manifest["sha256"]:
        return f"{shipped} differs from {manifest['package']}@{manifest['version']}"
    return None


def fetch(manifest: dict[str, str], *, update: bool) -> str | None:
    spec = f"{manifest['package']}@{manifest['version']}"
    with tempfile.TemporaryDirectory() as folder:
        packed = subprocess.run(
            ["npm", "pack", spec, "--json", "--pack-destination", folder],
            check=True,
            capture_output=True,
            text=True,
        )
        tarball = Path(folder) / json.loads(packed.stdout)[0]["filename"]
        data = tarball.read_bytes()
        if not update and integrity(data) != manifest["integrity"]:
            return f"{spec}: the registry's tarball does not match the manifest's integrity"
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(manifest["file"])
            if member is None:
                return f"{spec} has no {manifest['file']}"
            content = member.read()
    if update:
        manifest.update(integrity=integrity(data), sha256=sha256(content))
        MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    elif sha256(content) != manifest["sha256"]:
        return f"{spec}: {manifest['file']} does not match the manifest's sha256"
    (ASSETS / manifest["vendored"]).write_bytes(content)
    return None


def main(argv: list[str]) -> int:
    manifest = json.loads(MANIFEST.read_text())
    problem = check(manifest) if "--check" in argv else fetch(manifest, update="--update" in argv)
    print(problem or f"{manifest['vendored']}: {manifest['package']}@{manifest['version']}, ok")
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
