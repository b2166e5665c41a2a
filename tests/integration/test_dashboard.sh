#!/usr/bin/env bash
# The dashboard in a real browser: headless Chromium (Debian's), driven over the DevTools
# protocol, trusting exactly the server's key, loads the page while two baresip phones are in a
# secure call and two others in a plain one (UDP, RTP in clear): the secure call's row shows
# closed padlocks on both legs and the whole path, the plain one open padlocks; the
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
	for ext in 1003 1004; do
		printf '[extension %s]\npassword = pw-%s-secret\ndigest = md5\ntransports = udp\nencryption = optional\n' "$ext" "$ext"
	done
	admin_section
} | write_config "$TMP/sotto.conf"
start_sotto "$TMP/sotto.conf"
admin_phones
plain() {
	echo "<sip:$1@127.0.0.1:$SIP_PORT;transport=udp>;auth_user=$1;auth_pass=pw-$1-secret;regint=600;answermode=auto;audio_codecs=PCMU"
}
PHONE_SOURCE="aufile,$TMP/tone440.wav" phone_config c "$(plain 1003)"
PHONE_SOURCE="aufile,$TMP/tone440.wav" phone_config d "$(plain 1004)"
phone_start c
phone_start d
wait_log "$TMP/c.log" '200 OK' && wait_log "$TMP/d.log" '200 OK' || fail "plain phones did not register"
admin_call
phone_cmd c dial 1004 >/dev/null || fail "dial refused"
wait_log "$TMP/c.log" 'Call established' 15 && wait_log "$TMP/d.log" 'Call established' 15 ||
	fail "plain call not established"
sleep 1
calls=$(api /api/calls)
ID=$(echo "$calls" | jq -r 'map(select(.caller == "1001"))[0].id')
PLAIN=$(echo "$calls" | jq -r 'map(select(.caller == "1003"))[0].id')
[ -n "$ID" ] && [ "$ID" != null ] && [ -n "$PLAIN" ] && [ "$PLAIN" != null ] || fail "calls not listed: $calls"
jq_ok "$calls" "map(select(.id == \"$PLAIN\"))[0] | (.path_secure | not) and .a.transport == \"UDP\" and (.a.srtp | not)" "plain call in the API"
pass "secure call $ID (1001 -> 1002) and plain call $PLAIN (1003 -> 1004, UDP, RTP) up"

# Trust the server's own key (what the generated CA signed), and nothing else.
SPKI=$(openssl x509 -in "$TMP/var/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
ART=$SOTTO_SRC/tests/artifacts
mkdir -p "$ART"
# The token goes in the fragment, as printed at first start: never sent to the server.
EXPR="(() => {
	const row = document.querySelector('tr.call[data-call-id=\"$ID\"]');
	const prow = document.querySelector('tr.call[data-call-id=\"$PLAIN\"]');
	if (!row || !prow) return null;
	const locks = r => [...r.querySelectorAll('[data-lock]')].map(l => l.dataset.lock + ':' + l.textContent.trim());
	const regs = [...document.querySelectorAll('#regs-body tr')].map(r => r.cells[0].textContent);
	return {locks: locks(row), plain: locks(prow), regs, title: document.title, url: location.href,
		path: row.cells[6].textContent.trim(), stats: document.getElementById('st-calls').textContent,
		secure: document.getElementById('st-secure').textContent};
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
jq_ok "$out" '.plain | length == 3 and all(startswith("open:"))' "open padlocks on the plain call"
jq_ok "$out" '.plain[2] == "open:NOT secure" and (.plain[0] | test("UDP · RTP in clear"))' "plain call labels"
jq_ok "$out" '.regs | sort == ["1001","1002","1003","1004"]' "registrations table"
jq_ok "$out" '.stats == "2" and .secure == "1"' "header counts"
[ -s "$ART/dashboard.png" ] && [ "$(head -c 8 "$ART/dashboard.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] ||
	fail "no PNG screenshot"
pass "dashboard: call $ID with closed padlocks ($(echo "$out" | jq -r '.locks | join(", ")')), call $PLAIN with open ones ($(echo "$out" | jq -r '.plain | join(", ")')); screenshot in tests/artifacts/dashboard.png"

# Without a token the page asks for one and shows no data.
EXPR2="(() => { const l = document.getElementById('login');
	return l && !l.classList.contains('hidden') && document.getElementById('app').classList.contains('hidden') ? 'login' : null; })()"
python3 "$SOTTO_SRC/tests/integration/cdp.py" "$CHROMIUM" "$ADMIN_URL/" "$EXPR2" "$TMP/login.png" \
	--timeout 10 --flag="--ignore-certificate-errors-spki-list=$SPKI" >"$TMP/cdp2.out" 2>"$TMP/cdp2.log" ||
	fail "without a token the page did not ask for one: $(cat "$TMP/cdp2.out")"
pass "without a token the page asks for it"

phone_cmd a hangup >/dev/null || true
phone_cmd c hangup >/dev/null || true
wait_log "$TMP/sotto.log" "call $ID: .*ended" 10 && wait_log "$TMP/sotto.log" "call $PLAIN: .*ended" 10 ||
	fail "calls did not end"
# UDP phones un-REGISTER while sotto still answers (else they wait out the retransmissions)
phone_stop c
phone_stop d
stop_sotto
