"""Judge an Odoo test run from its log: fail on failed tests, ERROR or CRITICAL
lines, and WARNING lines logged by our own addons; print a closing summary."""

import re
import sys

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) \S+ (?P<logger>\S+): "
)
RESULT = re.compile(r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<total>\d+) tests")


def main(path, status):
    problems, failed, errors, total = [], 0, 0, 0
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            result = RESULT.search(line)
            if result:
                failed += int(result["failed"])
                errors += int(result["errors"])
                total += int(result["total"])
            match = LINE.match(line)
            if not match:
                continue
            level, logger = match["level"], match["logger"]
            if level in ("ERROR", "CRITICAL") or (
                level == "WARNING" and logger.startswith("odoo.addons.crossdept")
            ):
                problems.append(line.rstrip())
    if problems:
        print("\nProblems found in the log:")
        print("\n".join(problems[:50]))
    if total == 0:
        problems.append("no test ran")
        print("No test ran.")
    bad = failed + errors
    print(f"\ntests: {total - bad} passed, {bad} failed")
    if problems or bad or int(status):
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
