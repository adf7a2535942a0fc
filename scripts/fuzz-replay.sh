#!/usr/bin/env bash
# Builds the libFuzzer targets of FuzzTesting/ (DESIGN.md §11.7), replays each committed corpus once, then
# fuzzes every target for a short, bounded time. Exits non-zero on any crash, trap, sanitizer report,
# timeout or out-of-memory; the offending input is kept under FuzzTesting/.build/fuzz-artifacts/.
#
#   scripts/fuzz-replay.sh                  # replay + 20 s of fuzzing per target (all run in parallel)
#   FUZZ_SECONDS=0 scripts/fuzz-replay.sh   # replay only
#   FUZZ_SECONDS=600 scripts/fuzz-replay.sh # a longer local session
set -euo pipefail
cd "$(dirname "$0")/../FuzzTesting"

targets=(FuzzPacketHeader FuzzFrames FuzzTransportParameters FuzzPathFrames FuzzTraversalFrames)
seconds=${FUZZ_SECONDS:-20}
# Swift 6.3 on Linux: -sanitize=fuzzer links libclang_rt.fuzzer and instruments every module (QUICWire
# included); -parse-as-library because the targets' entry points are `@main` types (see README.md).
build_flags=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
# libFuzzer: -timeout catches a hang in a parser (seconds per input), -rss_limit_mb/-malloc_limit_mb catch
# allocations driven by a length field instead of by the bytes present.
fuzz_flags=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=0)

log() { printf '==> %s\n' "$*"; }
started=$SECONDS

log "building fuzz targets (${build_flags[*]})"
# gold prints one harmless "Cannot export local symbol '__asan_…'" warning per ASan helper: drop those.
if ! swift build "${build_flags[@]}" 2>&1 | { grep -v "Cannot export local symbol" || true; }; then
    echo "fuzz-replay: build failed" >&2
    exit 1
fi
bin=$(swift build "${build_flags[@]}" --show-bin-path)

artifacts=.build/fuzz-artifacts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"

# 1. Replay: every committed corpus file once (-runs=0 runs the inputs and no mutations).
for target in "${targets[@]}"; do
    count=$(find "Corpus/$target" -type f | wc -l)
    log "replaying $count inputs of Corpus/$target"
    if ! "$bin/$target" "${fuzz_flags[@]}" -artifact_prefix="$artifacts/$target-" -runs=0 \
            "Corpus/$target" >"$work/$target.replay.log" 2>&1; then
        tail -40 "$work/$target.replay.log" >&2
        echo "fuzz-replay: $target crashed while replaying its corpus (input saved in $artifacts)" >&2
        exit 1
    fi
done

# 2. Fuzz: new inputs go to a scratch directory (the first corpus argument), never into the committed corpus.
if [ "$seconds" -gt 0 ]; then
    log "fuzzing each target for ${seconds}s"
    pids=()
    for target in "${targets[@]}"; do
        mkdir -p "$work/$target"
        "$bin/$target" "${fuzz_flags[@]}" -artifact_prefix="$artifacts/$target-" -max_total_time="$seconds" \
            "$work/$target" "Corpus/$target" >"$work/$target.fuzz.log" 2>&1 &
        pids+=($!)
    done
    failed=0
    for index in "${!targets[@]}"; do
        target=${targets[$index]}
        if wait "${pids[$index]}"; then
            printf '    %-24s %s\n' "$target" "$(grep -E '^Done [0-9]+ runs' "$work/$target.fuzz.log" || echo done)"
        else
            tail -40 "$work/$target.fuzz.log" >&2
            echo "fuzz-replay: $target found a crash (input saved in $artifacts)" >&2
            failed=1
        fi
    done
    [ "$failed" -eq 0 ] || exit 1
fi

log "fuzz-replay: ok ($((SECONDS - started))s)"
