"""Run every benchmark in turn (or the ones named): python -m benchmarks [name ...]."""

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"__init__", "__main__", "common"}


def main() -> None:
    available = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in SKIP)
    chosen = sys.argv[1:] or available
    unknown = set(chosen) - set(available)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; available: {available}")
    for name in chosen:
        print(f"\n=== {name}")
        importlib.import_module(f"benchmarks.{name}").main([])


if __name__ == "__main__":
    main()
