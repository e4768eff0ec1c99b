"""The `nncomp` command: gzip/xz/zstd conventions (main.py); `bench` and `report` are in
nncomp/bench/cli.py, imported only when asked for."""
from .main import main

__all__ = ["main"]
