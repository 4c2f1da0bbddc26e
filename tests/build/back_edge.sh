#!/usr/bin/env bash
# back_edge.sh SOURCE_DIR: the build refuses a module that reaches one it
# does not name (cmake/modules.cmake).  In a scratch copy of the tracked
# tree, a clean build of the checked modules passes; then each deliberate
# back-edge, alone, must fail with the error that names it:
#   1. core includes the store's header        -> "callin/store.h" not found
#   2. core calls the store without its header -> cl_store_open undefined
#   3. mail calls a page function (pages sits above mail) -> undefined
#   4. a header no module owns                 -> configure refuses it
set -euo pipefail
src=$(cd "${1:?usage: back_edge.sh SOURCE_DIR}" && pwd)
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	grep -zv '^node_modules/' | xargs -0 cp --parents -t "$tmp/src")
b="$tmp/build"
fail=0

configure() { cmake -S "$tmp/src" -B "$b" -DCALLIN_SANITIZE=OFF >"$tmp/cfg.log" 2>&1; }
build() { cmake --build "$b" -j2 --target "$@" >"$tmp/build.log" 2>&1; }

# expect_fail NAME TARGET PATTERN: building TARGET fails, saying PATTERN.
expect_fail() {
	if build "$2"; then
		echo "FAIL: $1: the build of $2 passed"; fail=1
	elif ! grep -q -- "$3" "$tmp/build.log"; then
		echo "FAIL: $1: failed without saying '$3':"; tail -20 "$tmp/build.log"; fail=1
	else
		echo "ok: $1: refused ($(grep -m1 -o -- "$3" "$tmp/build.log"))"
	fi
}

configure || { cat "$tmp/cfg.log"; exit 1; }
build callin_core_check callin_mail_check || { echo "FAIL: the clean tree does not build"; tail -30 "$tmp/build.log"; exit 1; }
echo "ok: the clean tree builds callin_core_check and callin_mail_check"

f="$tmp/src/src/core/clock.c"; cp "$f" "$f.orig"
printf '#include "callin/store.h"\n' >>"$f"
expect_fail "core includes store.h" callin_core_o "callin/store.h: No such file"
cp "$f.orig" "$f"
printf 'int cl_store_open(const char *, void **);\nint cl_back_edge(void);\nint cl_back_edge(void) { return cl_store_open("x", 0); }\n' >>"$f"
expect_fail "core calls cl_store_open" callin_core_check "undefined reference to .cl_store_open"
cp "$f.orig" "$f"

f="$tmp/src/src/mail/date_edge.c"
printf 'void cl_page_send(void *, int, const void *);\nvoid cl_back_edge(void);\nvoid cl_back_edge(void) { cl_page_send(0, 200, 0); }\n' >"$f"
configure
expect_fail "mail calls cl_page_send" callin_mail_check "undefined reference to .cl_page_send"
rm "$f"

printf '#ifndef X\n#define X\n#endif\n' >"$tmp/src/include/callin/stray.h"
if configure; then
	echo "FAIL: a header no module owns was accepted"; fail=1
elif grep -q "stray.h belongs to no module" "$tmp/cfg.log"; then
	echo "ok: a header no module owns: configure refused it"
else
	echo "FAIL: configure failed without naming stray.h"; cat "$tmp/cfg.log"; fail=1
fi
exit $fail
