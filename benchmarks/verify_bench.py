"""What record proofs cost: signing every record at signing time, and checking one on the client.

Usage: python benchmarks/verify_bench.py [--skills N] [--json]

The synthetic marketplace the other benchmarks use (N skills) is built, then:
- sign: `skillport sign` of the build (each record signed on its own, then the whole catalog),
  against the same catalog signed whole only (the figure before record proofs);
- per record: for every skill, what the CLI does with the proof the proxy passes along: parse it
  from the JSON the proxy sends, check its signature, identity, marketplace, expiry and catalog
  version, and parse the signed record. Target: under 1 ms per record.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from scale import bench_parser, parse_args  # noqa: E402
from validate_bench import make_tree  # noqa: E402

from skillport_build.models.api import RecordProof  # noqa: E402
from skillport_build.models.catalog import Catalog, parse_time  # noqa: E402
from skillport_build.release.build import BuildOptions, build  # noqa: E402
from skillport_build.trust.minisign import generate, sign  # noqa: E402
from skillport_build.trust.records import proof_of, verified_record  # noqa: E402
from skillport_build.trust.sign import sign_dir  # noqa: E402
from skillport_build.trust.verify import trusted_comment  # noqa: E402


def run(skills: int) -> dict[str, float]:
    """Build, sign, verify every record; the figures."""
    with tempfile.TemporaryDirectory(prefix="skillport-verify-bench-") as tmp:
        work = Path(tmp)
        (work / "market").mkdir()
        make_tree(work / "market", skills)
        build(work / "market", BuildOptions(out=work / "dist"))
        key = generate()
        unsigned = Catalog.load(work / "dist")
        start = time.perf_counter()
        sign(key, unsigned.to_bytes(), trusted_comment(unsigned), "whole catalog only")
        whole = time.perf_counter() - start
        start = time.perf_counter()
        sign_dir(work / "dist", key)
        with_proofs = time.perf_counter() - start
        catalog = Catalog.load(work / "dist")
    wire = [json.dumps(proof_of(catalog, "skill", s.ref).dump()).encode() for s in catalog.skills]  # type: ignore[union-attr]
    keys, now = [key.public()], parse_time(catalog.generated_at)
    timings = []
    for raw, skill in zip(wire, catalog.skills, strict=True):
        start = time.perf_counter()
        proof = RecordProof.model_validate_json(raw)
        verified_record(
            proof, keys, now, kind="skill", ref=skill.ref, marketplace=catalog.marketplace.name, newest_seen=1
        )
        timings.append(time.perf_counter() - start)
    timings.sort()
    return {
        "skills": len(catalog.skills),
        "sign_whole_s": whole,
        "sign_with_proofs_s": with_proofs,
        "proof_bytes_mean": statistics.mean(len(w) for w in wire),
        "verify_record_p50_ms": timings[len(timings) // 2] * 1000,
        "verify_record_p95_ms": timings[int(len(timings) * 0.95)] * 1000,
        "verify_record_mean_ms": statistics.mean(timings) * 1000,
    }


def main() -> None:
    parser = bench_parser(__doc__)
    args = parse_args(parser, __file__)
    if args is None:
        return
    figures = run(args.skills)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"record proofs, {figures['skills']:,.0f} skills")
    print(
        f"  sign: {figures['sign_with_proofs_s']:.3f} s with record proofs "
        f"(the whole catalog alone: {figures['sign_whole_s']:.3f} s)"
    )
    print(f"  a proof on the wire: {figures['proof_bytes_mean']:,.0f} bytes on average")
    print(
        f"  client check per record: p50 {figures['verify_record_p50_ms']:.3f} ms, "
        f"p95 {figures['verify_record_p95_ms']:.3f} ms, mean {figures['verify_record_mean_ms']:.3f} ms "
        "(target: under 1 ms)"
    )


if __name__ == "__main__":
    main()
