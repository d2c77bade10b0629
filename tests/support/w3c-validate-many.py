"""Many feed files judged by the W3C Feed Validation Service's code in one
Python process (starting the validator costs about a second), exactly as
../shared/validators/w3c-validate judges one: the same calls, the same
first-occurrence-only events, the same formatter.

Usage: python3 w3c-validate-many.py VALIDATOR_DIR FILE URL [FILE URL ...]
Prints one JSON object per file: {"file", "events": [{"level", "type", "line", "text"}]}.
"""
import json, sys

sys.path.insert(0, sys.argv[1])
import feedvalidator
from feedvalidator import compatibility
from feedvalidator.formatter.text_plain import Formatter
from feedvalidator.logging import Error, Warning

args = sys.argv[2:]
for path, base in zip(args[0::2], args[1::2]):
    with open(path, "rb") as f:
        try:
            events = feedvalidator.validateString(f.read(), firstOccurrenceOnly=1, base=base)["loggedEvents"]
        except feedvalidator.logging.ValidationFailure as vf:
            events = [vf.event]
    events = compatibility.AA(events)
    out = []
    for e, text in zip(events, Formatter(events)):
        level = "ERROR" if isinstance(e, Error) else "WARNING" if isinstance(e, Warning) else "INFO"
        out.append({"level": level, "type": type(e).__name__, "line": e.params.get("line"), "text": text.splitlines()[0] if text else ""})
    print(json.dumps({"file": path, "events": out}), flush=True)
