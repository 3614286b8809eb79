"""Judge an Odoo test run from its log: fail on failed tests, ERROR or CRITICAL
lines, and WARNING lines logged by our own addons; print a closing summary."""

import re
import sys

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) \S+ (?P<logger>\S+): "
)
# the last lines of a problem's traceback shown (they name the error)
DETAIL_LINES = 40
RESULT = re.compile(r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<total>\d+) tests")


def main(path, status):
    problems, failed, errors, total = [], 0, 0, 0
    # the lines logged with a problem (a failed test's traceback), shown below it
    details, follow = {}, None
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if follow is not None and not LINE.match(line):
                details[follow].append(line.rstrip())
                continue
            follow = None
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
                follow = len(problems) - 1
                details[follow] = []
    if problems:
        print("\nProblems found in the log:")
        for index, problem in enumerate(problems[:50]):
            print(problem)
            print("\n".join(f"    {detail}" for detail in details.get(index, [])[-DETAIL_LINES:]))
    if total == 0:
        problems.append("no test ran")
        print("No test ran.")
    bad = failed + errors
    print(f"\ntests: {total - bad} passed, {bad} failed")
    if problems or bad or int(status):
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
