"""The fresh process the cold_start scenario times (``python -m`` this module ``PHASE ...``).

    ... interpreter              # start Python and stop
    ... import RUNTIME           # + import the binding, make an engine
    ... first_call RUNTIME WASM  # + load the guest, add_numbers(10, 20)

Each phase prints one line the parent validates. Nothing is imported at module level beyond
``sys``, so the phases differ only by the work they name.
"""

from __future__ import annotations

import sys

PHASES = ("interpreter", "import", "first_call")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in PHASES:
        print(f"usage: python -m scenarios.families.lifecycle.startup "
              f"{{{','.join(PHASES)}}} [RUNTIME [GUEST]]", file=sys.stderr)
        return 2
    if argv[0] == "interpreter":
        print("ready")
        return 0
    import runtimes

    runtime = runtimes.get(argv[1])()
    if argv[0] == "import":
        print(f"{runtime.info.package} {runtime.info.version}")
        return 0
    with open(argv[2], "rb") as fh:
        wasm = fh.read()
    print(runtime.load(wasm).export("add_numbers")(10, 20))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
