#!/usr/bin/env bash
# Soundness checks for the layering rules of DESIGN.md §10. Exits non-zero, naming each offending file
# and line, when a rule is broken. Run by scripts/test (and so by CI).
set -uo pipefail
cd "$(dirname "$0")/.."
failed=0
fail() { printf 'soundness: %s\n' "$*" >&2; failed=1; }

# 1. BoringSSL is reached only from QUICTLS (DESIGN.md §2: its QUIC API is not public API).
while IFS= read -r hit; do
    fail "CNIOBoringSSL imported outside Sources/QUICTLS: $hit"
done < <(grep -rnE '^\s*((@_implementationOnly|internal|public|package|private|fileprivate)\s+)?import\s+CNIOBoringSSL' \
           Sources Tests 2>/dev/null | grep -v '^Sources/QUICTLS/')

# 2. Sans-IO cores: no sockets, clocks, sleeps or Dispatch (DESIGN.md §10).
core_targets=(QUICWire QUICCrypto QUICCore IPPacket UserspaceTCP NATTraversal TunnelTraversal ZTNAProtocol RelayCore ConnectorCore AgentCore)
pattern='import (NIOPosix|Dispatch|FoundationNetworking)|NIODeadline\.now\(|ContinuousClock\(\)|SuspendingClock\(\)|Date\(\)|DispatchQueue|Task\.sleep|Thread\.sleep|usleep\(|nanosleep\(|clock_gettime|gettimeofday|[^a-zA-Z]time\(nil\)|\bsocket\('
for target in "${core_targets[@]}"; do
    [ -d "Sources/$target" ] || continue
    while IFS= read -r hit; do
        fail "clock, sleep or I/O in sans-IO target $target: $hit"
    done < <(grep -rnE "$pattern" "Sources/$target" 2>/dev/null | grep -vE '^\S+:[0-9]+:\s*//')
done

# 3. Small files: none over 800 lines (split by concern before ~600).
while IFS= read -r line; do
    count=${line% *}; file=${line#* }
    fail "$file has $count lines (limit 800)"
done < <(find Sources Tests -name '*.swift' -print0 2>/dev/null | xargs -0 -r wc -l | awk '$2 != "total" && $1 > 800 {print $1 " " $2}')

if [ "$failed" -ne 0 ]; then
    echo "soundness: FAILED" >&2
    exit 1
fi
echo "soundness: ok"
