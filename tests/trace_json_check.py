#!/usr/bin/env python3
"""Check a JSON-lines trace: every line is one JSON object with exactly the
fields docs/tracing.md documents, of the documented types."""
import json
import sys

FIELDS = {"event": str, "file": str, "line": int, "depth": int}
OPTIONAL = ["manager", "value", "target", "how", "exc", "args", "result", "verdict", "message"]
EVENTS = {"with", "protocol_error", "enter", "aenter", "aexit", "task_suspend", "task_resume", "entered", "enter_error", "body_exit", "exit",
          "exit_result", "exit_error", "gen_next", "gen_throw", "stack_push", "stack_unwind",
          "acquire", "release", "leak"}


def check(path):
    count = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            ev = json.loads(line)
            want = set(FIELDS) | set(OPTIONAL)
            if set(ev) != want:
                raise ValueError(f"line {n}: fields {sorted(set(ev) ^ want)} differ")
            for k, t in FIELDS.items():
                if not isinstance(ev[k], t):
                    raise ValueError(f"line {n}: {k} is not {t.__name__}")
            for k in OPTIONAL:
                if ev[k] is not None and not isinstance(ev[k], str):
                    raise ValueError(f"line {n}: {k} is neither a string nor null")
            if ev["event"] not in EVENTS:
                raise ValueError(f"line {n}: unknown event {ev['event']}")
            count += 1
    if count == 0:
        raise ValueError("no events")


if __name__ == "__main__":
    try:
        for p in sys.argv[1:]:
            check(p)
    except (OSError, ValueError) as e:
        print(f"{sys.argv[1]}: {e}")
        sys.exit(1)
