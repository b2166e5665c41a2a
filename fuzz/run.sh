#!/usr/bin/env bash
# Fuzz with libFuzzer (ASan + UBSan), no CMake needed: the SIP parser and response builder
# (fuzz_sip_msg), the SDP parser with the SDES key handling (fuzz_sdp), and SRTP/SRTCP
# unprotect (fuzz_srtp): everything a stranger's packet reaches first. ${FUZZ_SECONDS:-600} s
# in all, shared between the targets (FUZZ_TARGETS="fuzz_sdp" runs one). Each target's corpus
# in build-fuzz/corpus-NAME is seeded from tests/vectors; exits non-zero when a crash (or leak,
# or sanitizer report) is found; reproducers land in build-fuzz/artifacts/. Extra arguments go
# to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build-fuzz
CC=${CC:-clang}
TOTAL=${FUZZ_SECONDS:-600}
TARGETS=${FUZZ_TARGETS:-fuzz_sip_msg fuzz_sdp fuzz_srtp}
mkdir -p "$OUT/artifacts"

CFLAGS=(-std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Isrc)
CORE=(src/core/pl.c src/core/mbuf.c src/core/rand.c)

build() {
	case $1 in
	fuzz_sip_msg)
		"$CC" "${CFLAGS[@]}" fuzz/fuzz_sip_msg.c src/sip/msg.c src/sip/uri.c src/sip/hdr.c \
			src/sip/build.c "${CORE[@]}" src/net/sa.c -lcrypto -o "$OUT/$1" ;;
	fuzz_sdp)
		"$CC" "${CFLAGS[@]}" fuzz/fuzz_sdp.c src/sdp/*.c src/srtp/*.c "${CORE[@]}" \
			-lcrypto -o "$OUT/$1" ;;
	fuzz_srtp)
		"$CC" "${CFLAGS[@]}" fuzz/fuzz_srtp.c src/srtp/*.c "${CORE[@]}" -lcrypto \
			-o "$OUT/$1" ;;
	*) echo "unknown fuzz target $1" >&2; exit 2 ;;
	esac
}

seed() {
	mkdir -p "$OUT/corpus-$1"
	case $1 in
	fuzz_sip_msg) find tests/vectors/sip -name '*.sip' -exec cp {} "$OUT/corpus-$1/" \; ;;
	fuzz_sdp) cp tests/vectors/sdp/*.sdp "$OUT/corpus-$1/" ;;
	fuzz_srtp) # a plain RTP header and an RTCP SR, for each choice of suite and kind
		python3 - "$OUT/corpus-$1" <<'PY'
import os, sys
rtp = bytes([0x80, 0, 0, 1, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef]) + bytes(160) + bytes(10)
rtcp = bytes([0x80, 200, 0, 6, 0xde, 0xad, 0xbe, 0xef]) + bytes(20) + bytes([0x80, 0, 0, 1]) + bytes(10)
for sel in range(5):
    open(os.path.join(sys.argv[1], f"rtp{sel}"), "wb").write(bytes([sel]) + rtp)
    open(os.path.join(sys.argv[1], f"rtcp{sel}"), "wb").write(bytes([0x80 | sel]) + rtcp)
PY
		;;
	esac
}

n=$(wc -w <<<"$TARGETS")
each=$((TOTAL / n > 0 ? TOTAL / n : 1))
for t in $TARGETS; do
	build "$t"
	seed "$t"
	echo "fuzzing $t for ${each}s ($(ls "$OUT/corpus-$t" | wc -l) files in its corpus)"
	"$OUT/$t" "$OUT/corpus-$t" -max_total_time="$each" -max_len=8192 \
		-artifact_prefix="$OUT/artifacts/$t-" -print_final_stats=1 "$@"
done
