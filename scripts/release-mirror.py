"""Writes the provider mirrors of a release (called by scripts/release.sh DIST VERSION):

- DIST/mirror/registry.terraform.io/mosia/mosia/: Terraform's provider network mirror
  protocol: index.json (every version found there), VERSION.json (each platform's archive, by
  relative URL, with its hashes: `zh:` the archive's SHA-256, `h1:` Terraform's hash of the
  files inside, the one `terraform init` pins in the lock file), and the archives, for any static
  HTTPS server or S3 bucket (`provider_installation { network_mirror { url = ... } }`);
- DIST/fs-mirror/registry.terraform.io/mosia/mosia/: the packed layout of a filesystem mirror
  (`filesystem_mirror { path = ... }`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

NAME = "terraform-provider-mosia"
ADDRESS = Path("registry.terraform.io/mosia/mosia")


def h1(zip_path: Path) -> str:
    """Terraform's `h1:` hash (Go's dirhash Hash1): SHA-256 over the sorted lines
    "SHA256(file)  NAME" of the files in the package."""
    with zipfile.ZipFile(zip_path) as z:
        lines = "".join(
            f"{hashlib.sha256(z.read(n)).hexdigest()}  {n}\n"
            for n in sorted(z.namelist())
            if not n.endswith("/")
        )
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


def main(dist: Path, version: str) -> None:
    archives = sorted(dist.glob(f"{NAME}_{version}_*.zip"))
    net = dist / "mirror" / ADDRESS
    fs = dist / "fs-mirror" / ADDRESS
    for d in (net, fs):
        d.mkdir(parents=True, exist_ok=True)
    entries = {}
    for zip_path in archives:
        platform = zip_path.name[len(f"{NAME}_{version}_"):-len(".zip")]
        digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
        entries[platform] = {"url": zip_path.name, "hashes": [h1(zip_path), f"zh:{digest}"]}
        shutil.copy2(zip_path, net / zip_path.name)
        shutil.copy2(zip_path, fs / zip_path.name)
    (net / f"{version}.json").write_text(json.dumps({"archives": entries}, indent=2) + "\n")
    versions = sorted(
        p.stem for p in net.glob("*.json") if re.fullmatch(r"\d+\.\d+\.\d+.*", p.stem)
    )
    index = {"versions": {v: {} for v in versions}}
    (net / "index.json").write_text(json.dumps(index, indent=2) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
