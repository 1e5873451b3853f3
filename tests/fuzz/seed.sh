#!/usr/bin/env bash
# Builds each fuzz target's seed corpus under tests/fuzz/seeds/<target>/ from testdata/
# (ignored by git: the inputs live in testdata/ already). Run from the repository root.
set -euo pipefail
out=tests/fuzz/seeds
rm -rf "$out"
mkdir -p "$out"/{load,fmt,eval,state,planfile}
n=0
# load and fmt: every configuration file, and every var file (HCL too).
while IFS= read -r f; do
  n=$((n + 1))
  cp "$f" "$out/load/$n"
  cp "$f" "$out/fmt/$n"
done < <(find testdata examples -type f \( -name '*.hcl' -o -name '*.tfvars' \) | sort)
# eval: the right-hand side of every one-line attribute in those files, one expression each.
find testdata examples -type f \( -name '*.hcl' -o -name '*.tfvars' \) -print0 |
  xargs -0 sed -n 's/^[[:space:]]*[A-Za-z_][A-Za-z0-9_-]*[[:space:]]*=[[:space:]]*\(.*[^{[(]\)$/\1/p' |
  sort -u | {
    i=0
    while IFS= read -r expr; do
      i=$((i + 1))
      printf '%s' "$expr" > "$out/eval/$i"
    done
  }
# state and planfile: every JSON document that is one (or nearly one: the bad cases).
find testdata -type f -name '*.json' -print0 | xargs -0 grep -l '"lineage"' | sort | {
  i=0
  while IFS= read -r f; do i=$((i + 1)); cp "$f" "$out/state/$i"; done
}
find testdata -type f \( -name '*.plan' -o -name '*.json' \) -print0 |
  xargs -0 grep -l 'sgform-plan' | sort | {
    i=0
    while IFS= read -r f; do i=$((i + 1)); cp "$f" "$out/planfile/$i"; done
  }
for t in load fmt eval state planfile; do
  echo "$t: $(ls "$out/$t" | wc -l) seeds"
done
