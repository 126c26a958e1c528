"""python -m mosia_emulator --host 127.0.0.1 --port 4566 [--profile zero|lifecycle|scaled]"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mosia_emulator",
        description="LocalStack-compatible AWS endpoint: moto with Mosia's extensions.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("EMULATOR_PORT", 4566)),
        help="port (default 4566, or $EMULATOR_PORT; 0 picks a free port, see --port-file)",
    )
    parser.add_argument(
        "--profile", default=os.environ.get("MOSIA_EMULATOR_PROFILE", "zero"),
        choices=["zero", "lifecycle", "scaled"],
        help="lifecycle durations: zero (default), lifecycle (seconds), scaled (real AWS scaled down)",
    )
    parser.add_argument(
        "--durations", metavar="FILE",
        help="JSON file with durations merged over the profile (also $MOSIA_EMULATOR_DURATIONS_FILE)",
    )
    parser.add_argument("--port-file", help="write the bound port to this file once listening")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.add_argument(
        "--exit-with-parent", action="store_true",
        help="exit when the parent process exits (used by the Rust test harness)",
    )
    args = parser.parse_args(argv)
    if args.durations:
        os.environ["MOSIA_EMULATOR_DURATIONS_FILE"] = args.durations

    from .server import serve

    serve(
        args.host, args.port, args.profile, port_file=args.port_file, quiet=args.quiet,
        exit_with_parent=args.exit_with_parent,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
