"""scripts/lint, run on a small tree of its own (the script, .clang-format and
the suppressions copied beside a src/ and include/): it passes a file formatted
the house way, fails naming a file clang-format would change and one with a
cppcheck finding, and --fix reformats so the check passes."""
import os
import shutil
import subprocess

from harness import TOP

GOOD = """/* good.c: formatted as .clang-format says. */
#include "good.h"

static int
twice(int n)
{
	return 2 * n;
}

int
good(const int *v, size_t n)
{
	int sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += twice(v[i]);
	return sum;
}
"""


def tree(tmp_path):
    top = tmp_path / "tree"
    for d in ("scripts", "src/core", "include", "tests"):
        (top / d).mkdir(parents=True)
    shutil.copy(os.path.join(TOP, "scripts", "lint"), top / "scripts" / "lint")
    shutil.copy(os.path.join(TOP, "scripts", "cppcheck-suppressions"), top / "scripts")
    shutil.copy(os.path.join(TOP, ".clang-format"), top / ".clang-format")
    (top / "src/core/good.c").write_text(GOOD)
    (top / "include/good.h").write_text("#include <stddef.h>\nint good(const int *v, size_t n);\n")
    return top


def lint(top, *args):
    return subprocess.run([str(top / "scripts" / "lint"), *args], cwd=top,
                          capture_output=True, text=True, timeout=300)


def test_clean_tree_passes(tmp_path):
    r = lint(tree(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 files formatted, cppcheck clean" in r.stdout


def test_unformatted_file_fails_and_fix_formats_it(tmp_path):
    top = tree(tmp_path)
    bad = GOOD.replace("static int\ntwice(int n)\n{", "static int twice(int n) {")
    (top / "src/core/bad.c").write_text(bad)
    r = lint(top)
    assert r.returncode == 1
    assert "lint: 1 files are not formatted" in r.stderr and "src/core/bad.c" in r.stderr
    r = lint(top, "--fix")
    assert r.returncode == 0, r.stderr
    assert (top / "src/core/bad.c").read_text() == GOOD
    assert lint(top).returncode == 0


def test_cppcheck_finding_fails(tmp_path):
    top = tree(tmp_path)
    (top / "src/core/oob.c").write_text(
        "/* oob.c: writes past its array. */\n"
        "void\noob(void)\n{\n\tchar buf[4];\n\n\tbuf[4] = 0;\n\t(void)buf;\n}\n")
    r = lint(top)
    assert r.returncode == 1
    assert "arrayIndexOutOfBounds" in r.stderr and "lint: cppcheck found" in r.stderr
