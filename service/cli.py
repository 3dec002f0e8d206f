"""`oms-cds serve` runs the service; `oms-cds assess FILE|-` assesses one bundle offline.

Anything wrong before the service can serve (a setting, the profiles, the clients file,
the database) is one line on stderr, `oms-cds: ...`, and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import orjson
from pydantic import TypeAdapter, ValidationError

from service.api.responses import outcome_of
from service.engine import AssessmentResult, assess_payload
from service.errors import OmsError, StartupError
from service.logs import configure_logging
from service.settings import Port, Settings, load_settings
from service.storage import StorageUnavailable, open_storage, redacted
from service.terminology import Terminology, load_terminology


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is the one line every start-up error is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"oms-cds: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="oms-cds", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1, OMS_HOST)")
    serve.add_argument("--port", type=_port, help="port (default 8080, OMS_PORT)")
    assess = commands.add_parser("assess", help="assess a Bundle file and print the result")
    assess.add_argument("file", help="a Bundle or Parameters JSON file, or - for stdin")
    assess.add_argument(
        "--summary", action="store_true", help="print a readable criteria table instead"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        terminology = load_terminology(settings.profiles_dir)
        if args.command == "serve":
            return _serve(settings, terminology, args.host, args.port)
    except StartupError as exc:
        print(f"oms-cds: {exc.message}", file=sys.stderr)
        return 2
    return _assess(terminology, args.file, summary=args.summary)


def _port(text: str) -> int:
    """`--port`, held to the rule OMS_PORT is held to."""
    try:
        return TypeAdapter(Port).validate_python(text)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 1 to 65535 (got {text})"
        ) from None


def _serve(settings: Settings, terminology: Terminology, host: str | None, port: int | None) -> int:
    """Run uvicorn; StartupError for anything that keeps the service from serving."""
    import uvicorn

    from service.app import create_app

    configure_logging(settings.log_level)
    problem = check_database(settings)
    if problem is not None:
        print(f"oms-cds: {problem}", file=sys.stderr)
        return 2
    app = create_app(settings, terminology)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,  # it would log paths and queries, which can name patients
    )
    return 0


def check_database(settings: Settings) -> str | None:
    """Reach the database and apply its migrations; one line saying why not, or None.

    The line names the database without its password, and never the driver's own text.
    """
    url = settings.storage_url()
    try:
        storage = open_storage(url, timeout=settings.database_timeout)
    except ValueError as exc:
        return str(exc)

    async def check() -> None:
        try:
            await storage.open()
        finally:
            await storage.close()

    try:
        asyncio.run(check())
    except StorageUnavailable as exc:
        return f"cannot use the database {redacted(url)}: {exc.message}"
    return None


def _assess(terminology: Terminology, file: str, *, summary: bool) -> int:
    try:
        body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        print(f"oms-cds: cannot read {file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        result = assess_payload(body, terminology)
    except OmsError as exc:
        outcome = outcome_of(exc, "error")
        sys.stderr.buffer.write(orjson.dumps(outcome, option=orjson.OPT_INDENT_2) + b"\n")
        return 1
    if summary:
        sys.stdout.write(format_summary(result, terminology.criterion_displays))
    else:
        sys.stdout.buffer.write(orjson.dumps(result.bundle, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def format_summary(result: AssessmentResult, names: Mapping[str, str]) -> str:
    """A plain-text table: one row per criterion with its status and evidence."""
    rows = [("criterion", "status", "evidence")]
    for item in result.assessment.results:
        evidence = ", ".join(dict.fromkeys(e.reference for e in item.evidence)) or "-"
        rows.append((names.get(item.criterion, item.criterion), str(item.status), evidence))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
    assessment = result.assessment
    status = "preliminary" if assessment.preliminary else "final"
    lines.append("")
    total = len(assessment.results)
    lines.append(f"risk: {assessment.risk} ({assessment.met_count} of {total} met, {status})")
    if (plan := result.care_plan) is not None:
        lines.append(f"care plan: {plan['title']}, {len(plan['activity'])} activities")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
