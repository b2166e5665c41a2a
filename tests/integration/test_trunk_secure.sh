#!/usr/bin/env bash
# A TLS + SRTP provider, played by a second Sotto: the trunk registers over verified TLS, and a
# call from a baresip phone on the first Sotto through the trunk to a baresip phone on the
# second is encrypted on every leg and marked secure end to end.
. "$(dirname "$0")/lib.sh"

# The provider: its own ports and data_dir; the trunk's account is an extension there.
P_SIP=$(free_port pair)
P_TLS=$((P_SIP + 1))
P_RTP=$(( ($(free_port) / 2) * 2 ))
[ "$P_RTP" -lt 64000 ] || P_RTP=42000
mkdir -p "$TMP/prov"
cat >"$TMP/prov/sotto.conf" <<EOF
[general]
data_dir = $TMP/prov/var
[transport]
udp = 127.0.0.1:$P_SIP
tls = 127.0.0.1:$P_TLS
[media]
rtp_ports = $P_RTP-$((P_RTP + 99))
[extension 4420000000]
password = trunk-secret
[extension 44123456789]
password = pw-far-secret
digest = md5
EOF
"$SOTTO_BIN" -c "$TMP/prov/sotto.conf" -v >"$TMP/provider.log" 2>&1 &
PROV_PID=$!
PIDS+=("$PROV_PID")
wait_log "$TMP/provider.log" 'sotto running' 15 || fail "provider sotto did not start"

RTP=$(( ($(free_port) / 2) * 2 ))
[ "$RTP" -lt 64000 ] || RTP=40000
write_config "$TMP/sotto.conf" <<EOF
[media]
rtp_ports = $RTP-$((RTP + 99))
[trunk secure]
host = 127.0.0.1:$P_TLS
transport = tls
username = 4420000000
password = trunk-secret
register = yes
encryption = mandatory
ca = $TMP/prov/var/ca.pem
[route all]
match = 0X.
trunk = secure
strip = 1
prepend = 44
[extension 1001]
password = pw-1001-secret
digest = md5
require_secure_path = yes
EOF
start_sotto "$TMP/sotto.conf"
for _ in $(seq 1 100); do
	ctl trunks | grep -q 'registered' && break
	sleep 0.1
done
ctl trunks | grep -q 'registered' || fail "trunk did not register over TLS: $(ctl trunks)"
pass "trunk registered with the provider over verified TLS"

export PHONE_SRATE=8000 PHONE_CHANNELS=1
make_tone "$TMP/tone.wav" 440
export PHONE_SOURCE="aufile,$TMP/tone.wav"
phone_config near "<sip:1001@127.0.0.1:$TLS_PORT;transport=tls>;auth_user=1001;auth_pass=pw-1001-secret;regint=600;answermode=auto;mediaenc=srtp-mand;audio_codecs=PCMU"
# the far phone trusts the provider's CA
phone_config far "<sip:44123456789@127.0.0.1:$P_TLS;transport=tls>;auth_user=44123456789;auth_pass=pw-far-secret;regint=600;answermode=auto;mediaenc=srtp-mand;audio_codecs=PCMU"
sed -i "s|sip_cafile .*|sip_cafile $TMP/prov/var/ca.pem|" "$TMP/far/config"
phone_start near
phone_start far
wait_log "$TMP/near.log" '200 OK' && wait_log "$TMP/far.log" '200 OK' || fail "phones did not register"

phone_cmd near dial 0123456789 >/dev/null || fail "dial refused"
wait_log "$TMP/near.log" 'Call established' 20 || fail "call through the secure trunk did not connect"
wait_log "$TMP/far.log" 'Call established' 5 || fail "far phone did not answer"
grep -q 'SRTP is Enabled' "$TMP/near.log" && grep -q 'SRTP is Enabled' "$TMP/far.log" ||
	fail "SRTP missing at a phone"
sleep 1
ctl calls >"$TMP/calls.txt"
row=$(grep -E ' 1001 +0123456789 +answered' "$TMP/calls.txt") || fail "call not listed: $(cat "$TMP/calls.txt")"
echo "$row" | grep -q ' secure$' || fail "call through a TLS+SRTP trunk not marked secure: $row"
[ "$(echo "$row" | grep -o 'TLS, SRTP' | wc -l)" -eq 2 ] || fail "both legs not TLS+SRTP: $row"
"$SOTTO_BUILD/sottoctl" -s "$TMP/prov/var/sotto.sock" calls | grep -E '4420000000 +44123456789' |
	grep -q ' secure$' || fail "the provider does not see its legs secure"
pass "phone -> sotto -> TLS+SRTP trunk -> provider -> phone: every leg encrypted, marked secure"
phone_cmd near hangup >/dev/null || true
wait_log "$TMP/sotto.log" '1001 -> 0123456789 ended' 10 || fail "call did not end"
stop_sotto
kill -TERM "$PROV_PID"
wait "$PROV_PID" || fail "provider sotto did not stop cleanly"
