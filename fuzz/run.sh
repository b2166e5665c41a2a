#!/usr/bin/env bash
# Fuzz the SIP parser and response builder with libFuzzer (ASan + UBSan), no CMake needed.
# Seeds build-fuzz/corpus from tests/vectors/sip, runs ${FUZZ_SECONDS:-600} s, and exits
# non-zero when a crash (or leak, or sanitizer report) is found; reproducers land in
# build-fuzz/artifacts/. Extra arguments go to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build-fuzz
CC=${CC:-clang}
SECONDS_TO_RUN=${FUZZ_SECONDS:-600}
mkdir -p "$OUT/corpus" "$OUT/artifacts"

"$CC" -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Isrc \
	fuzz/fuzz_sip_msg.c \
	src/sip/msg.c src/sip/uri.c src/sip/hdr.c src/sip/build.c \
	src/core/pl.c src/core/mbuf.c src/core/rand.c src/net/sa.c \
	-lcrypto -o "$OUT/fuzz_sip_msg"

# Seeds: every vector, valid and invalid (the fuzzer keeps what it finds next to them).
find tests/vectors/sip -name '*.sip' -exec cp {} "$OUT/corpus/" \;

echo "fuzzing the SIP parser for ${SECONDS_TO_RUN}s ($(ls "$OUT/corpus" | wc -l) files in the corpus)"
"$OUT/fuzz_sip_msg" "$OUT/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=8192 \
	-artifact_prefix="$OUT/artifacts/" -print_final_stats=1 "$@"
