"""Read mutmut's cache after one module's run and print its score; with --total, the score over every module.

    python tools/mutation_report.py MODULE CACHE EQUIVALENT_TSV SURVIVORS_TXT SECONDS SCORES_TSV
    python tools/mutation_report.py --total OUT_DIR [MODULE...]

Killed = the tests failed (or timed out) on the mutant. Equivalent mutants behave exactly like the original and
are left out: those that change only annotations (same AST without annotations; never evaluated here), and those
listed in the equivalent file (module, original line, mutated line, why; tab-separated, lines stripped).
Each survivor's diff is appended to SURVIVORS_TXT; the module's counts are appended to SCORES_TSV (one JSON
object a line). --total sums each module's latest line in OUT_DIR/scores.tsv (only the MODULEs given, if any).
"""
from __future__ import annotations

import difflib
import json
import os
import sqlite3
import sys

KILLED = {"ok_killed", "bad_timeout", "ok_suspicious"}
# Modules whose annotations are read at run time (the add-on builds its Blender properties from the
# AnimSettings / Binding dataclass fields with typing.get_type_hints): a mutant there is never "annotation only".
INTROSPECTED = {"rigging/settings.py", "rigging/mapping.py"}


def _without_annotations(source: str) -> str:
    """The module's AST with every annotation removed (they are never evaluated: every module has
    ``from __future__ import annotations``)."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
        elif isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(None)
    return ast.dump(tree)


def annotation_only(module: str, source: str, mutated: str) -> bool:
    """A mutant that only changes annotations behaves exactly like the original (provably: same AST)."""
    if module in INTROSPECTED or "from __future__ import annotations" not in source:
        return False
    try:
        return _without_annotations(source) == _without_annotations(mutated)
    except SyntaxError:
        return False


def _equivalents(path: str) -> set[tuple[str, str, str]]:
    out = set()
    if os.path.exists(path):
        for ln in open(path, encoding="utf-8"):
            if ln.strip() and not ln.startswith("#"):
                parts = ln.rstrip("\n").split("\t")
                if len(parts) >= 3:
                    out.add((parts[0], parts[1].strip(), parts[2].strip()))
    return out


def _mutant(source: str, line: str, index: int, line_number: int) -> tuple[str, str, str]:
    """(original line, mutated line, whole mutated source)."""
    from mutmut import Context, RelativeMutationID, mutate

    ctx = Context(source=source, mutation_id=RelativeMutationID(line, index, line_number))
    new, _ = mutate(ctx)
    old_lines, new_lines = source.splitlines(), new.splitlines()
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=old_lines, b=new_lines).get_opcodes():
        if op != "equal":
            return "\n".join(old_lines[a0:a1]).strip(), "\n".join(new_lines[b0:b1]).strip(), new
    return line.strip(), line.strip(), new


def module_report(module, cache, equivalent_tsv, survivors_txt, seconds, scores_tsv):
    db = sqlite3.connect(cache)
    rows = db.execute("SELECT l.line, l.line_number, m.'index', m.status FROM Mutant m JOIN Line l ON m.line = l.id "
                      "JOIN SourceFile s ON l.sourcefile = s.id WHERE s.filename = ?", (module,)).fetchall()
    source = open(module, encoding="utf-8").read()
    eq = _equivalents(equivalent_tsv)
    killed = survived = equivalent = untested = 0
    with open(survivors_txt, "a", encoding="utf-8") as rep:
        for line, number, index, status in rows:
            if status in KILLED:
                killed += 1
            elif status == "bad_survived":
                old, new, mutated = _mutant(source, line, index, number)
                if (module, old, new) in eq or annotation_only(module, source, mutated):
                    equivalent += 1
                    continue
                survived += 1
                rep.write(f"{module}:{number + 1}\n  - {old}\n  + {new}\n")
            else:
                untested += 1  # skipped / untested (the baseline failed, or mutmut was interrupted)
    n = killed + survived
    with open(scores_tsv, "a", encoding="utf-8") as f:
        f.write(json.dumps({"module": module, "killed": killed, "survived": survived, "equivalent": equivalent,
                            "untested": untested, "seconds": int(seconds)}) + "\n")
    pct = 100.0 * killed / n if n else 100.0
    print(f"{module}: {killed}/{n} killed ({pct:.1f}%), {equivalent} equivalent, {untested} not run, "
          f"{int(seconds)} s", flush=True)


def total(out_dir, modules=()):
    path = os.path.join(out_dir, "scores.tsv")
    rows = [json.loads(ln) for ln in open(path, encoding="utf-8")] if os.path.exists(path) else []
    latest = {r["module"]: r for r in rows}  # a module run again replaces its earlier figures
    if modules:
        latest = {m: r for m, r in latest.items() if m in modules}
    k = sum(r["killed"] for r in latest.values())
    n = k + sum(r["survived"] for r in latest.values())
    bad = [m for m, r in latest.items() if r["untested"]]
    if bad:
        print(f"not every mutant ran in: {', '.join(bad)} (the baseline test run failed or was interrupted)")
    print(f"mutation score: {k}/{n} killed ({100.0 * k / n if n else 0:.1f}%)")


if __name__ == "__main__":
    if sys.argv[1] == "--total":
        total(sys.argv[2], sys.argv[3:])
    else:
        module_report(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
