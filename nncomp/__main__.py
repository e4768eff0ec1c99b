"""The `nncomp` command (and `python -m nncomp`): the CLI, entered so that a Ctrl-C while its
modules load (numpy and click: a third of a second) ends as one during its work does, with
"nncomp: interrupted" and status 130 instead of a traceback."""
import os
import sys


def main() -> None:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("nncomp: interrupted\n")
        os._exit(130)
    cli_main()


if __name__ == "__main__":
    main()
