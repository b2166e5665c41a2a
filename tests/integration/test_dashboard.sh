#!/usr/bin/env bash
# The dashboard in a real browser: headless Chromium (Debian's), driven over the DevTools
# protocol, trusting exactly the server's key, loads the page while two baresip phones are in a
# secure call, and the call's row shows closed padlocks on both legs and the whole path; the
# registrations show too. The screenshot is kept in tests/artifacts/dashboard.png.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
		>"$TMP/apt.log" 2>&1 || true
	CHROMIUM=$(command -v chromium || true)
fi
if [ -z "$CHROMIUM" ]; then
	echo "SKIP: chromium is not installed and cannot be installed here (apt-get install chromium)"
	exit 77
fi

{
	admin_extensions
	admin_section
} | write_config "$TMP/sotto.conf"
start_sotto "$TMP/sotto.conf"
admin_phones
admin_call
sleep 1
ID=$(api /api/calls | jq -r '.[0].id')
[ -n "$ID" ] && [ "$ID" != null ] || fail "no call listed by the API"
pass "secure call $ID up between two baresip phones"

# Trust the server's own key (what the generated CA signed), and nothing else.
SPKI=$(openssl x509 -in "$TMP/var/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
ART=$SOTTO_SRC/tests/artifacts
mkdir -p "$ART"
# The token goes in the fragment, as printed at first start: never sent to the server.
EXPR="(() => {
	const row = document.querySelector('tr.call[data-call-id=\"$ID\"]');
	if (!row) return null;
	const locks = [...row.querySelectorAll('[data-lock]')].map(l => l.dataset.lock + ':' + l.textContent.trim());
	const regs = [...document.querySelectorAll('#regs-body tr')].map(r => r.cells[0].textContent);
	return {locks, regs, title: document.title, url: location.href,
		path: row.cells[6].textContent.trim(), stats: document.getElementById('st-calls').textContent};
})()"
rc=0
python3 "$SOTTO_SRC/tests/integration/cdp.py" "$CHROMIUM" "$ADMIN_URL/#token=$(admin_token)" "$EXPR" \
	"$ART/dashboard.png" --timeout 20 --flag="--ignore-certificate-errors-spki-list=$SPKI" \
	>"$TMP/cdp.out" 2>"$TMP/cdp.log" || rc=$?
[ "$rc" -eq 0 ] || fail "the dashboard never showed call $ID (rc $rc): $(cat "$TMP/cdp.out") $(tail -20 "$TMP/cdp.log")"
out=$(cat "$TMP/cdp.out")
jq_ok "$out" '.title == "Sotto PBX" and (.url | test("#token") | not)' "page title, token taken out of the address"
# caller leg, callee leg, whole path: all closed
jq_ok "$out" '.locks | length == 3 and all(startswith("closed:"))' "padlocks on the call row"
jq_ok "$out" '.locks[2] == "closed:Secure" and .path == "Secure"' "whole-path padlock"
jq_ok "$out" '.locks[0] | test("TLS 1\\.[23] · SRTP")' "caller leg label"
jq_ok "$out" '.regs | sort == ["1001","1002"]' "registrations table"
jq_ok "$out" '.stats == "1"' "header counts"
[ -s "$ART/dashboard.png" ] && [ "$(head -c 8 "$ART/dashboard.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] ||
	fail "no PNG screenshot"
pass "dashboard shows call $ID with closed padlocks ($(echo "$out" | jq -r '.locks | join(", ")')); screenshot in tests/artifacts/dashboard.png"

# Without a token the page asks for one and shows no data.
EXPR2="(() => { const l = document.getElementById('login');
	return l && !l.classList.contains('hidden') && document.getElementById('app').classList.contains('hidden') ? 'login' : null; })()"
python3 "$SOTTO_SRC/tests/integration/cdp.py" "$CHROMIUM" "$ADMIN_URL/" "$EXPR2" "$TMP/login.png" \
	--timeout 10 --flag="--ignore-certificate-errors-spki-list=$SPKI" >"$TMP/cdp2.out" 2>"$TMP/cdp2.log" ||
	fail "without a token the page did not ask for one: $(cat "$TMP/cdp2.out")"
pass "without a token the page asks for it"

phone_cmd a hangup >/dev/null || true
wait_log "$TMP/sotto.log" "call $ID: .*ended" 10 || fail "call did not end"
stop_sotto
