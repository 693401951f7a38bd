"""Drain 1,000 queued reports to the reference receiver on loopback; print the time and the rate.

    python benchmarks/outbox_drain.py [--count N]

Everything is real: reports signed and chained by ReportStore, the outbox in SQLite, the
receiver as its own process (verifying every signature and the schema, storing with
fsync). Only the drain is timed. Not part of the test run's pass/fail.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()

    from agent.config import StationConfig
    from agent.delivery.outbox import Outbox
    from agent.delivery.uploader import Uploader
    from agent.report.chain import ReportStore
    from agent.report.signing import StationKey
    from tests.signing.signing_helpers import sample_report  # the signing tests' full report

    with tempfile.TemporaryDirectory(prefix="phonebench-bench-") as tmp:
        work = Path(tmp)
        key = StationKey.load_or_create(work / "key.pem")
        (work / "pub.pem").write_text(key.public_pem())
        store, outbox = ReportStore(work / "reports", work / "chain.json"), Outbox(work / "outbox.sqlite3")
        started = time.perf_counter()
        for _ in range(args.count):
            outbox.add(store.commit(sample_report(), key))
        made_s = time.perf_counter() - started
        print(f"queued {args.count} signed reports in {made_s:.2f} s ({args.count / made_s:.0f}/s, store + outbox)")

        db = work / "backend.sqlite3"
        backend = [sys.executable, "-m", "agent.backend"]
        subprocess.run([*backend, "enroll", str(work / "pub.pem"), "--db", str(db)], check=True, cwd=ROOT,
                       capture_output=True)
        server = subprocess.Popen([*backend, "serve", "--port", "0", "--db", str(db)], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True)
        try:
            url = (server.stdout.readline() if server.stdout else "").split("listening on ", 1)[1].split()[0]
            uploader = Uploader(outbox, StationConfig(work / "station.yaml", backend_url=url))
            started = time.perf_counter()
            result = uploader.drain()
            drain_s = time.perf_counter() - started
            uploader.close()
            listed = subprocess.run([*backend, "list", "--db", str(db), "--json"], check=True, cwd=ROOT,
                                    capture_output=True, text=True)
            received = len(json.loads(listed.stdout)["reports"])
        finally:
            server.terminate()
            server.wait(30)
    print(f"drained {result.delivered} reports in {drain_s:.2f} s: {result.delivered / drain_s:.0f} reports/s "
          f"({1000 * drain_s / max(1, result.delivered):.1f} ms each); the receiver holds {received}")
    return 0 if received == args.count == result.delivered else 1


if __name__ == "__main__":
    sys.exit(main())
