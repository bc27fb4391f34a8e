"""Run the benchmarks: `python -m bench` runs every module of this package that has a
`main()`; `python -m bench dashboard export` runs those only.

Each benchmark sets Django up on a database of its own, and Django is set up once per process:
with several, each runs in a process of its own."""

import importlib
import pkgutil
import subprocess
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
    chosen = names or list(available)
    if len(chosen) > 1:
        failed = [
            name
            for name in chosen
            if subprocess.run([sys.executable, "-m", "bench", name], check=False).returncode
        ]
        if failed:
            sys.exit(f"Benchmarks that failed: {', '.join(failed)}")
        return
    name = chosen[0]
    print(f"\n=== bench {name} ===", flush=True)
    started = time.perf_counter()
    available[name].main()
    print(f"(bench {name}: {time.perf_counter() - started:.0f}s)", flush=True)


if __name__ == "__main__":
    run(sys.argv[1:])
