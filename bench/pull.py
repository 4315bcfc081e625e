"""A researcher's pull against raw boto3 GETs of the same objects, and its memory in N.

Starts the stack's S3 endpoint (moto server, as ``phr-share stack up`` does) on loopback
in a scratch directory, publishes N record objects of one kind (releases of 100 years
each, manifests written last, as a release does), then measures in one run, at 100 and
at 10,000 objects (``--large``):

1. raw GET rate: every object fetched with boto3 ``get_object`` at the same concurrency;
2. pull rate: ``phr_share.research.pull`` of those objects (catalogue, verify, filter,
   files, journal, Parquet), objects/s, in a child process whose peak RSS (ru_maxrss)
   (VmHWM) is read, so that the two sizes' memory does not mix.

Goals: pull >= 80 % of the raw GET rate at both sizes; peak RSS of the large pull within
10 % of the small one's.

At 100 objects, the best of ``--repeat`` rounds of each is taken (a round is short).

    python bench/pull.py [--large N] [--records R] [--concurrency C] [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import boto3
from botocore.config import Config

from phr_share.deid import FlatRecord
from phr_share.public_layout import Gate, Manifest, RecordsName
from phr_share.research import pull, records_to_jsonl, wanted_objects
from phr_share.stack import processes
from phr_share.storage import S3Store

GOAL_RATE, GOAL_MEMORY = 0.80, 0.10
KIND, SMALL, YEARS = "physical-signs", 100, 100
HOST, KEY, SECRET = "127.0.0.1", "phr-local", "phr-local-secret"


def records(year: int, count: int, release: int) -> bytes:
    return records_to_jsonl(
        FlatRecord(
            kind=KIND,
            pseudonym=f"{release * 1000 + p:032x}",
            age_band="40-44",
            sex="F",
            zip3="970",
            year=str(year),
            date=None,
            statement="observation",
            codes=("2.16.840.1.113883.6.1|8480-6",),
            loinc="8480-6",
            snomed=None,
            rxnorm=None,
            value=str(110 + p % 40),
            unit="mm[Hg]",
            narrative="Systolic blood pressure, sitting, left arm",
        ).as_json()
        for p in range(count)
    )


def publish(client: object, bucket: str, count: int, per_object: int, concurrency: int) -> None:
    """``count`` objects, ``YEARS`` to a release; each manifest after its objects."""
    gate = Gate(("age_band", "sex", "zip3", "year"), 1, 1, (), 0, 0, 0)
    manifests = []
    objects: list[tuple[str, bytes]] = []
    for number in range(-(-count // YEARS)):
        release = uuid.UUID(int=number + 1)
        years = range(1900, 1900 + min(YEARS, count - number * YEARS))
        mine = {
            RecordsName(KIND, str(y), release).name: records(y, per_object, number) for y in years
        }
        objects.extend(mine.items())
        manifests.append(Manifest.of(release, date(2026, 1, 1), gate, mine))
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda o: client.put_object(Bucket=bucket, Key=o[0], Body=o[1]), objects))  # type: ignore[attr-defined]
    for manifest in manifests:
        client.put_object(Bucket=bucket, Key=manifest.name, Body=manifest.to_bytes())  # type: ignore[attr-defined]


def raw_gets(client: object, bucket: str, names: list[str], concurrency: int) -> float:
    """Seconds to GET every object and read its body, at ``concurrency``."""
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda n: client.get_object(Bucket=bucket, Key=n)["Body"].read(), names))  # type: ignore[attr-defined]
    return time.perf_counter() - start


def _child(endpoint: str, bucket: str, out: str, concurrency: int, answer: object) -> None:
    store = S3Store(bucket, endpoint_url=endpoint, access_key_id=KEY, secret_access_key=SECRET)
    # Warm, as the process of the raw GETs is: the client's models, pyarrow, the threads'
    # first connections, on a few objects pulled into a directory of their own.
    since = date(1900, 1, 1)
    few = wanted_objects(store, bucket, KIND, since)[:concurrency]
    pull(store, bucket, KIND, since, Path(out) / "warm", objects=few, concurrency=concurrency)
    start = time.perf_counter()
    report = pull(store, bucket, KIND, since, Path(out) / "pulled", concurrency=concurrency)
    seconds = time.perf_counter() - start
    answer.send((seconds, report.downloaded, report.parquet_records, peak_rss_kib()))  # type: ignore[attr-defined]


def peak_rss_kib() -> int:
    """This process's peak resident set since it started its program, in KiB.

    Linux's ru_maxrss carries over the RSS the parent had when it forked the child
    (exec folds the old image's high-water mark in), and the parent grows with N as it
    publishes; VmHWM is the high-water mark of the child's own image alone.
    """
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def timed_pull(
    endpoint: str, bucket: str, out: Path, concurrency: int
) -> tuple[float, int, int, int]:
    """(seconds, objects downloaded, Parquet rows, peak RSS KiB) of a pull in a child."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: its own peak
    mine, theirs = context.Pipe()
    child = context.Process(target=_child, args=(endpoint, bucket, str(out), concurrency, theirs))
    child.start()
    result = mine.recv()
    child.join()
    return result  # type: ignore[no-any-return]


def measure(endpoint: str, count: int, args: argparse.Namespace, scratch: Path) -> dict[str, float]:
    bucket = f"bench-{count}-{uuid.uuid4().hex[:8]}"
    config = Config(max_pool_connections=32, retries={"max_attempts": 2, "mode": "standard"})
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=config,
    )
    client.create_bucket(Bucket=bucket)
    publish(client, bucket, count, args.records, args.concurrency)
    names = [
        k
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix="records/"
        )
        for k in (item["Key"] for item in page.get("Contents", []))
    ]
    raw = raw_gets(client, bucket, names, args.concurrency)
    seconds, downloaded, rows, rss = timed_pull(
        endpoint, bucket, scratch / f"pulled-{count}", args.concurrency
    )
    if downloaded != count or rows != count * args.records:
        sys.exit(f"the pull of {count} objects got {downloaded} objects, {rows} rows")
    ratio = raw / seconds
    print(
        f"{count:6} objects: raw GET {count / raw:7.1f} objects/s, pull {count / seconds:7.1f} "
        f"objects/s, ratio {ratio:.2f} (goal {GOAL_RATE}); pull peak RSS {rss / 1024:.1f} MiB"
    )
    return {"raw": count / raw, "pull": count / seconds, "ratio": ratio, "rss": rss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=20, help="records per object")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="rounds at 100 objects")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phr-bench-") as scratch:
        port = processes.free_port(HOST)
        log = str(Path(scratch) / "moto.log")
        moto = processes.Service(
            "s3",
            [str(Path(sys.executable).parent / "moto_server"), "-H", HOST, "-p", str(port)],
            HOST,
            port,
            log,
            "/moto-api/",
        )
        processes.start(moto)
        try:
            processes.wait_until([moto])
            endpoint = f"http://{HOST}:{port}"
            small = measure(endpoint, SMALL, args, Path(scratch))
            large = measure(endpoint, args.large, args, Path(scratch))
        finally:
            processes.stop_all([moto])
    growth = large["rss"] / small["rss"] - 1
    print(
        f"peak RSS {args.large} vs {SMALL} objects: {growth:+.1%} (goal within {GOAL_MEMORY:.0%})"
    )
    print(
        json.dumps(
            {
                "concurrency": args.concurrency,
                "records_per_object": args.records,
                "small_objects": SMALL,
                "large_objects": args.large,
                "raw_get_small_objects_per_s": round(small["raw"], 1),
                "pull_small_objects_per_s": round(small["pull"], 1),
                "ratio_pull_raw_small": round(small["ratio"], 3),
                "ratio_pull_raw_small_goal_met": small["ratio"] >= GOAL_RATE,
                "raw_get_large_objects_per_s": round(large["raw"], 1),
                "pull_large_objects_per_s": round(large["pull"], 1),
                "ratio_pull_raw_large": round(large["ratio"], 3),
                "ratio_pull_raw_large_goal_met": large["ratio"] >= GOAL_RATE,
                "peak_rss_small_mib": round(small["rss"], 1),
                "peak_rss_large_mib": round(large["rss"], 1),
                "ratio_rss_large_small": round(1 + growth, 3),
                "ratio_rss_large_small_goal_met": growth <= GOAL_MEMORY,
            }
        )
    )


if __name__ == "__main__":
    main()
