"""Publish 1,000 skills to the local, the OCI and the S3 store, then change one skill and publish again.

Usage: python benchmarks/publish_bench.py [--skills N] [--json]

The OCI store is Debian's docker-registry, started here on 127.0.0.1 with htpasswd auth (as the
tests start it) and stopped after; the S3 store is moto's standalone server, the same way. Each
store gets the same signed build; then one skill changes,
its plugin is bumped, the repository is rebuilt against the store, signed and published again.
The second publish must upload only the changed skill's bundle and its plugin's bundle.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from integration.registry import PASSWORD, USER, running_registry  # noqa: E402
from integration.s3 import ACCESS_KEY, REGION, SECRET_KEY, running_s3  # noqa: E402
from scale import bench_parser, parse_args  # noqa: E402
from validate_bench import make_tree  # noqa: E402

from skillport_build.release.build import BuildOptions, build  # noqa: E402
from skillport_build.release.bump import bump  # noqa: E402
from skillport_build.release.publish import publish  # noqa: E402
from skillport_build.stores import current_catalog, open_store  # noqa: E402
from skillport_build.stores.base import Store  # noqa: E402
from skillport_build.trust.minisign import generate  # noqa: E402
from skillport_build.trust.sign import sign_dir  # noqa: E402


def _release(root: Path, out: Path, store: Store, key: object) -> Path:
    build(root, BuildOptions(out=out, previous=current_catalog(store)))
    sign_dir(out, key)  # type: ignore[arg-type]
    return out


def main() -> None:
    parser = bench_parser(__doc__)
    args = parse_args(parser, __file__)
    if args is None:
        return
    key = generate()
    os.environ.update(SKILLPORT_OCI_USERNAME=USER, SKILLPORT_OCI_PASSWORD=PASSWORD)
    os.environ.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION=REGION)
    with tempfile.TemporaryDirectory(prefix="skillport-publish-bench-") as tmp:
        work = Path(tmp)
        root = work / "market"
        root.mkdir()
        make_tree(root, args.skills)
        (work / "local").mkdir()
        with running_registry(work / "registry") as registry, running_s3(work / "s3") as s3:
            os.environ["SKILLPORT_S3_ENDPOINT_URL"] = s3.endpoint
            stores = {
                "local": open_store(str(work / "local")),
                "oci": open_store(registry.url("bench")),
                "s3": open_store(f"s3://{s3.bucket()}/bench"),
            }
            first = _release(root, work / "first", stores["local"], key)
            times = {}
            for name, store in stores.items():
                start = time.perf_counter()
                publish(first, store)
                times[name] = time.perf_counter() - start
            changed = (
                root / f"plugins/plugin-{args.skills // 2:04d}/skills/skill-{args.skills // 2:04d}/SKILL.md"
            )
            changed.write_text(changed.read_text() + "\nOne more step.\n")
            bump(root, plugins=(f"plugin-{args.skills // 2:04d}",))
            second = _release(root, work / "second", stores["local"], key)
            uploads, again = {}, {}
            for name, store in stores.items():
                start = time.perf_counter()
                uploads[name] = publish(second, store).uploaded
                again[name] = time.perf_counter() - start
    result = {
        "local_s": round(times["local"], 3),
        "oci_s": round(times["oci"], 3),
        "s3_s": round(times["s3"], 3),
        "second_s": {name: round(seconds, 3) for name, seconds in again.items()},
        "second_uploads": len(uploads["local"]),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.skills} skills: {2 * args.skills} bundles (skill + plugin zips) per store")
    print(f"first publish, local store      {times['local']:8.3f} s")
    print(f"first publish, OCI registry     {times['oci']:8.3f} s")
    print(f"first publish, S3 (moto)        {times['s3']:8.3f} s")
    for name, label in (("local", "local store"), ("oci", "OCI registry"), ("s3", "S3 (moto)")):
        print(f"second publish, {label:<16}{again[name]:8.3f} s")
    counts = (
        f"{len(uploads['local'])} blob(s) locally, {len(uploads['oci'])} to OCI, {len(uploads['s3'])} to S3"
    )
    print(f"second publish uploaded         {counts}:")
    for path in sorted(uploads["local"]):
        print(f"  {path}")


if __name__ == "__main__":
    main()
