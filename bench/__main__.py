"""Run the benchmarks: `python -m bench` runs every module of this package that has a
`main()`; `python -m bench dashboard export` runs those only."""

import importlib
import pkgutil
import sys
import time

import bench


def benchmarks() -> dict[str, object]:
    found = {}
    for module in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"bench.{module.name}")
        if callable(getattr(loaded, "main", None)):
            found[module.name] = loaded
    return found


def run(names: list[str]) -> None:
    available = benchmarks()
    unknown = [n for n in names if n not in available]
    if unknown:
        sys.exit(f"No benchmark named {', '.join(unknown)}; there are: {', '.join(available)}")
    for name in names or list(available):
        print(f"\n=== bench {name} ===", flush=True)
        started = time.perf_counter()
        available[name].main()
        print(f"(bench {name}: {time.perf_counter() - started:.0f}s)", flush=True)


if __name__ == "__main__":
    run(sys.argv[1:])
