#!/usr/bin/env bash
# check.sh RC REGEX COMMAND...: runs COMMAND, fails unless it exits with RC and its output
# (stdout and stderr together) matches the extended regular expression REGEX.
set -u
want_rc=$1 regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
if [ "$rc" != "$want_rc" ]; then
  printf 'exit status %s, expected %s; output:\n%s\n' "$rc" "$want_rc" "$out"
  exit 1
fi
if ! printf '%s\n' "$out" | tr '\n' '\v' | grep -Eq -- "$(printf '%s' "$regex")" && ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  printf 'output does not match /%s/:\n%s\n' "$regex" "$out"
  exit 1
fi
exit 0
