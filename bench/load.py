"""Closed-loop HTTP/1.1 load on 127.0.0.1, run as its own process: `python -m bench.load`.

`--concurrency` keep-alive connections each send the same POST again as soon as the
answer is in, until `--requests` answers or `--seconds` have passed, whichever is
first. With `--token-file` (one JWT a line), each request carries the next token as its
bearer token, so a CDS hook call never reuses one (at most one request per token).
Prints one JSON line: count, errors, seconds, throughput and latency percentiles.
Raw asyncio streams keep the client's own cost per request small and constant.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import orjson

HOST = "127.0.0.1"


async def _one_connection(
    port: int, requests: list[bytes], stop_at: float, budget: list[int], latencies: list[float],
    errors: list[int],
) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while budget[0] > 0 and time.perf_counter() < stop_at:
            budget[0] -= 1
            start = time.perf_counter()
            writer.write(requests[budget[0] % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def run(
    port: int,
    path: str,
    body: bytes,
    concurrency: int,
    requests: int,
    seconds: float,
    tokens: list[str] | None = None,
) -> dict[str, float]:
    if tokens:
        built = [
            (
                f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Content-Type: application/json\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
            for token in tokens
        ]
        requests = min(requests, len(built))
    else:
        built = [
            (
                f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Content-Type: application/fhir+json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        ]
    latencies: list[float] = []
    errors: list[int] = []
    budget = [requests]
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(
        *(
            _one_connection(port, built, stop_at, budget, latencies, errors)
            for _ in range(concurrency)
        )
    )
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    return {
        "count": len(latencies),
        "errors": len(errors),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50": pct(0.50),
        "p99": pct(0.99),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--token-file", type=Path, help="bearer tokens, one a line, each once")
    args = parser.parse_args()
    body = args.body_file.read_bytes()
    tokens = args.token_file.read_text().split() if args.token_file else None
    result = asyncio.run(
        run(args.port, args.path, body, args.concurrency, args.requests, args.seconds, tokens)
    )
    sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
