#!/usr/bin/env python3
# Writes tests/vectors/sip/{valid,invalid}/*.sip: the RFC 4475 messages decoded from the RFC's
# notation (<allOneLine>, <hex>, <repeat>) into wire bytes with CRLF line ends, plus our own.
# Usage: python3 gen_vectors.py tests/vectors/sip   (classification: README.md)
import os, sys
root = sys.argv[1]
V, I = os.path.join(root, "valid"), os.path.join(root, "invalid")
os.makedirs(V, exist_ok=True); os.makedirs(I, exist_ok=True)

def msg(lines, body=b""):
    out = b""
    for l in lines:
        if isinstance(l, str): l = l.encode("latin-1")
        out += l + b"\r\n"
    out += b"\r\n"
    if isinstance(body, str): body = body.encode("latin-1")
    return out + body

def crlf(text):
    return "".join(l + "\r\n" for l in text.split("\n"))

def sdp(o, c=None, t="0 0", extra=None):
    c = c or o
    return crlf("v=0\no=mhandley 29739 7272939 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=%s\nm=audio 49217 RTP/AVP 0 12\nm=video 3227 RTP/AVP 31\na=rtpmap:31 LPC" % (o, c, t))

out = {}
def put(d, name, data):
    out[(d, name)] = data

# ---- 3.1.1 valid ----
put(V, "wsinv", msg([
 "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
 "TO :",
 " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
 'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
 "  ;",
 "  tag = 98asjd8",
 "MaX-fOrWaRdS: 0068",
 "Call-ID: wsinv.ndaksdj@192.0.2.1",
 "Content-Length   : 150",
 "cseq: 0009",
 "  INVITE",
 "Via  : SIP  /   2.0",
 " /UDP",
 "    192.0.2.2;branch=390skdjuw",
 "s :",
 "NewFangledHeader:   newfangled value",
 " continued newfangled value",
 "UnknownHeaderWithUnusualValue: ;;,,;;,;",
 "Content-Type: application/sdp",
 "Route:",
 " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
 "v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
 "  branch  =   z9hG4bK9ikj8  ,",
 " SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
 " z9hG4bK30239",
 'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
 "      newvalue ;",
 "  secondparam ; q = 0.33",
], sdp("192.0.2.3", "192.0.2.4")))

put(V, "intmeth", msg([
 "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
 "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
 b'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
 b"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"" + bytes.fromhex("D180D0B0D0B1D0BED182D0B0D18ED189D0B8D0B9") + b"\";tag=_token~1'+`*%!-.",
 "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
 "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~",
 "Max-Forwards: 255",
 b"extensionHeader-!.%*+_`'~:" + bytes.fromhex("EFBBBFE5A4A7E5819CE99BBB"),
 "Content-Length: 0",
]))

put(V, "esc01", msg([
 "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0",
 "To: sip:%75se%72@example.com",
 "From: <sip:I%20have%20spaces@example.net>;tag=938",
 "Max-Forwards: 87",
 "i: esc01.239409asdfakjkn23onasd0-3234",
 "CSeq: 234234 INVITE",
 "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw",
 "C: application/sdp",
 "Contact:",
 "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>",
 "Content-Length: 150",
], sdp("192.0.2.1")))

put(V, "escnull", msg([
 "REGISTER sip:example.com SIP/2.0",
 "To: sip:null-%00-null@example.com",
 "From: sip:null-%00-null@example.com;tag=839923423",
 "Max-Forwards: 70",
 "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
 "CSeq: 14398234 REGISTER",
 "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw",
 "Contact: <sip:%00@host5.example.com>",
 "Contact: <sip:%00%00@host5.example.com>",
 "L:0",
]))

put(V, "esc02", msg([
 "RE%47IST%45R sip:registrar.example.com SIP/2.0",
 'To: "%Z%45" <sip:resource@example.com>',
 'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23',
 "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf",
 "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234",
 "CSeq: 29344 RE%47IST%45R",
 "Max-Forwards: 70",
 "Contact: <sip:alias1@host1.example.com>",
 "C%6Fntact: <sip:alias2@host2.example.com>",
 "Contact: <sip:alias3@host3.example.com>",
 "l: 0",
]))

put(V, "lwsdisp", msg([
 "OPTIONS sip:user@example.com SIP/2.0",
 "To: sip:user@example.com",
 "From: caller<sip:caller@example.com>;tag=323",
 "Max-Forwards: 70",
 "Call-ID: lwsdisp.1234abcd@funky.example.com",
 "CSeq: 60 OPTIONS",
 "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw",
 "l: 0",
]))

vias = ["Via: SIP/2.0/TCP sip33.example.com", "v: SIP/2.0/TCP sip32.example.com",
 "V: SIP/2.0/TCP sip31.example.com", "Via: SIP/2.0/TCP sip30.example.com",
 "ViA: SIP/2.0/TCP sip29.example.com", "VIa: SIP/2.0/TCP sip28.example.com",
 "VIA: SIP/2.0/TCP sip27.example.com", "via: SIP/2.0/TCP sip26.example.com",
 "viA: SIP/2.0/TCP sip25.example.com", "vIa: SIP/2.0/TCP sip24.example.com",
 "vIA: SIP/2.0/TCP sip23.example.com", "V :  SIP/2.0/TCP sip22.example.com",
 "v :  SIP/2.0/TCP sip21.example.com", "V  : SIP/2.0/TCP sip20.example.com",
 "v  : SIP/2.0/TCP sip19.example.com", "Via : SIP/2.0/TCP sip18.example.com",
 "Via  : SIP/2.0/TCP sip17.example.com"] + ["Via: SIP/2.0/TCP sip%d.example.com" % i for i in range(16, 0, -1)]
put(V, "longreq", msg([
 "INVITE sip:user@example.com SIP/2.0",
 'To: "I have a user name of ' + "extreme" * 10 + ' proportion"<sip:user@example.com:6000;unknownparam1=very' + "long" * 20 + "value;longparam" + "name" * 25 + "=shortvalue;very" + "long" * 25 + "ParameterNameWithNoValue>",
 "F: sip:" + "amazinglylongcallername" * 5 + "@example.net;tag=12" + "982" * 49 + "424;unknownheaderparam" + "name" * 20 + "=unknowheaderparam" + "value" * 15 + ";unknownValueless" + "paramname" * 10,
 "Call-ID: longreq.one" + "really" * 20 + "longcallid",
 "CSeq: 3882340 INVITE",
 "Unknown-" + "Long" * 20 + "-Name: unknown-" + "long" * 20 + "-value; unknown-" + "long" * 20 + "-parameter-name = unknown-" + "long" * 20 + "-parameter-value",
] + vias + [
 "Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very" + "long" * 50 + "branchvalue",
 "Max-Forwards: 70",
 "Contact: <sip:" + "amazinglylongcallername" * 5 + "@host5.example.net>",
 "Content-Type: application/sdp",
 "l: 150",
], sdp("192.0.2.1")))

put(V, "dblreq", msg([
 "REGISTER sip:example.com SIP/2.0",
 "To: sip:j.user@example.com",
 "From: sip:j.user@example.com;tag=43251j3j324",
 "Max-Forwards: 8",
 "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412",
 "Contact: sip:j.user@host.example.com",
 "CSeq: 8 REGISTER",
 "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492",
 "Content-Length: 0",
]) + msg([
 "INVITE sip:joe@example.com SIP/2.0",
 "t: sip:joe@example.com",
 "From: sip:caller@example.net;tag=141334",
 "Max-Forwards: 8",
 "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15",
 "CSeq: 8 INVITE",
 "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234",
 "Content-Type: application/sdp",
 "Content-Length: 150",
], crlf("v=0\no=mhandley 29739 7272939 IN IP4 192.0.2.15\ns=-\nc=IN IP4 192.0.2.15\nt=0 0\nm=audio 49217 RTP/AVP 0 12\nm =video 3227 RTP/AVP 31\na=rtpmap:31 LPC")))

put(V, "semiuri", msg([
 "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0",
 "To: sip:j_user@example.com",
 "From: sip:caller@example.org;tag=33242",
 "Max-Forwards: 3",
 "Call-ID: semiuri.0ha0isndaksdj",
 "CSeq: 8 OPTIONS",
 "Accept: application/sdp, application/pkcs7-mime,",
 "        multipart/mixed, multipart/signed,",
 "        message/sip, message/sipfrag",
 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw",
 "l: 0",
]))

put(V, "transports", msg([
 "OPTIONS sip:user@example.com SIP/2.0",
 "To: sip:user@example.com",
 "From: <sip:caller@example.com>;tag=323",
 "Max-Forwards: 70",
 "Call-ID:  transports.kijh4akdnaqjkwendsasfdj",
 "Accept: application/sdp",
 "CSeq: 60 OPTIONS",
 "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw",
 "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf",
 "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj",
 "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en",
 "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee",
 "l: 0",
]))

binpart = (b"\x30\x82\x01\x52\x06\x09\x2A\x86\r\n"
 b"\x48\x86\xF7\x0D\x01\x07\x02\xA0\x82\x01\x43\x30\x82\x01\x3F\x02"
 b"\x01\x01\x31\x09\x30\x07\x06\x05\x2B\x0E\x03\x02\x1A\x30\x0B\x06"
 b"\x09\x2A\x86\x48\x86\xF7\x0D\x01\x07\x01\x31\x82\x01\x20\x30\x82"
 b"\x01\x1C\x02\x01\x01\x30\x7C\x30\x70\x31\x0B\x30\x09\x06\x03\x55"
 b"\x04\x06\x13\x02\x55\x53\x31\x13\x30\x11\x06\x03\x55\x04\x08\x13"
 b"\x0A\x43\x61\x6C\x69\x66\x6F\x72\x6E\x69\x61\x31\x11\x30\x0F\x06"
 b"\x03\x55\x04\x07\x13\x08\x53\x61\x6E\x20\x4A\x6F\x73\x65\x31\x0E"
 b"\x30\x0C\x06\x03\x55\x04\x0A\x13\x05\x73\x69\x70\x69\x74\x31\x29"
 b"\x30\x27\x06\x03\x55\x04\x0B\x13\x20\x53\x69\x70\x69\x74\x20\x54"
 b"\x65\x73\x74\x20\x43\x65\x72\x74\x69\x66\x69\x63\x61\x74\x65\x20"
 b"\x41\x75\x74\x68\x6F\x72\x69\x74\x79\x02\x08\x01\x95\x00\x71\x02"
 b"\x33\x01\x13\x30\x07\x06\x05\x2B\x0E\x03\x02\x1A\x30\x0D\x06\x09"
 b"\x2A\x86\x48\x86\xF7\x0D\x01\x01\x01\x05\x00\x04\x81\x80\x8E\xF4"
 b"\x66\xF9\x48\xF0\x52\x2D\xD2\xE5\x97\x8E\x9D\x95\xAA\xE9\xF2\xFE"
 b"\x15\xA0\x66\x59\x71\x62\x92\xE8\xDA\x2A\xA8\xD8\x35\x0A\x68\xCE"
 b"\xFF\xAE\x3C\xBD\x2B\xFF\x16\x75\xDD\xD5\x64\x8E\x59\x3D\xD6\x47"
 b"\x28\xF2\x62\x20\xF7\xE9\x41\x74\x9E\x33\x0D\x9A\x15\xED\xAB\xDB"
 b"\x93\xD1\x0C\x42\x10\x2E\x7B\x72\x89\xD2\x9C\xC0\xC9\xAE\x2E\xFB"
 b"\xC7\xC0\xCF\xF9\x17\x2F\x3B\x02\x7E\x4F\xC0\x27\xE1\x54\x6D\xE4"
 b"\xB6\xAA\x3A\xBB\x3E\x66\xCC\xCB\x5D\xD6\xC6\x4B\x83\x83\x14\x9C"
 b"\xB8\xE6\xFF\x18\x2D\x94\x4F\xE5\x7B\x65\xBC\x99\xD0\x05")
mp_body = (crlf("--7a9cbec02ceef655\nContent-Type: text/plain\nContent-Transfer-Encoding: binary\n\nHello\n--7a9cbec02ceef655\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n").encode()
           + binpart + b"--7a9cbec02ceef655--\r\n")
put(V, "mpart01", msg([
 "MESSAGE sip:kumiko@example.org SIP/2.0",
 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport",
 "Max-Forwards: 70",
 "Route: <sip:127.0.0.1:5080>",
 "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=",
 "Contact: <sip:fluffy@127.0.0.1:5070>",
 "To: <sip:kumiko@example.org>",
 "From: <sip:fluffy@example.com>;tag=2fb0dcc9",
 "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..",
 "CSeq: 1 MESSAGE",
 "Content-Transfer-Encoding: binary",
 "Content-Type: multipart/mixed;boundary=7a9cbec02ceef655",
 "Date: Sat, 15 Oct 2005 04:44:56 GMT",
 "User-Agent: SIPimp.org/0.2.5 (curses)",
 "Content-Length: 553",
], mp_body))

put(V, "unreason", msg([
 b"SIP/2.0 200 = 2**3 * 5**2 " + bytes.fromhex("D0BDD0BE20D181D182D0BE20D0B4D0B5D0B2D18FD0BDD0BED181D182D0BE20D0B4D0B5D0B2D18FD182D18C202D20D0BFD180D0BED181D182D0BED0B5"),
 "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923",
 "Call-ID: unreason.1234ksdfak3j2erwedfsASdf",
 "CSeq: 35 INVITE",
 "From: sip:user@example.com;tag=11141343",
 "To: sip:user@example.edu;tag=2229",
 "Content-Length: 154",
 "Content-Type: application/sdp",
 "Contact: <sip:user@host198.example.com>",
], sdp("192.0.2.198")))

put(V, "noreason", msg([
 "SIP/2.0 100 ",
 "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
 "Call-ID: noreason.asndj203insdf99223ndf",
 "CSeq: 35 INVITE",
 "From: <sip:user@example.com>;tag=39ansfi3",
 "To: <sip:user@example.edu>;tag=902jndnke3",
 "Content-Length: 0",
 "Contact: <sip:user@host105.example.com>",
]))

# ---- 3.1.2 invalid ----
put(I, "badinv01", msg([
 "INVITE sip:user@example.com SIP/2.0",
 "To: sip:j.user@example.com",
 "From: sip:caller@example.net;tag=134161461246",
 "Max-Forwards: 7",
 "Call-ID: badinv01.0ha0isndaksdjasdf3234nas",
 "CSeq: 8 INVITE",
 "Via: SIP/2.0/UDP 192.0.2.15;;,;,,",
 'Contact: "Joe" <sip:joe@example.org>;;;;',
 "Content-Length: 152",
 "Content-Type: application/sdp",
], sdp("192.0.2.15")))

put(I, "clerr", msg([
 "INVITE sip:user@example.com SIP/2.0",
 "Max-Forwards: 80",
 "To: sip:j.user@example.com",
 "From: sip:caller@example.net;tag=93942939o2",
 "Contact: <sip:caller@hungry.example.net>",
 "Call-ID: clerr.0ha0isndaksdjweiafasdk3",
 "CSeq: 8 INVITE",
 "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523",
 "Content-Type: application/sdp",
 "Content-Length: 9999",
], sdp("192.0.2.155")))

put(I, "ncl", msg([
 "INVITE sip:user@example.com SIP/2.0",
 "Max-Forwards: 254",
 "To: sip:j.user@example.com",
 "From: sip:caller@example.net;tag=32394234",
 "Call-ID: ncl.0ha0isndaksdj2193423r542w35",
 "CSeq: 0 INVITE",
 "Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw",
 "Contact: <sip:caller@example53.example.net>",
 "Content-Type: application/sdp",
 "Content-Length: -999",
], sdp("192.0.2.53")))

put(I, "scalar02", msg([
 "REGISTER sip:example.com SIP/2.0",
 "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3",
 "To: <sip:user@example.com>",
 "From: <sip:user@example.com>;tag=239232jh3",
 "CSeq: 36893488147419103232 REGISTER",
 "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32",
 "Max-Forwards: 300",
 "Expires: 1" + "0" * 100,
 "Contact: <sip:user@host129.example.com>",
 "  ;expires=280297596632815",
 "Content-Length: 0",
]))

put(I, "scalarlg", msg([
 "SIP/2.0 503 Service Unavailable",
 "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129",
 "To: <sip:user@example.com>",
 "From: <sip:other@example.net>;tag=2easdjfejw",
 "CSeq: 9292394834772304023312 OPTIONS",
 "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r",
 "Retry-After: 949302838503028349304023988",
 'Warning: 1812 overture "In Progress"',
 "Content-Length: 0",
]))

put(I, "quotbal", msg([
 "INVITE sip:user@example.com SIP/2.0",
 'To: "Mr. J. User <sip:j.user@example.com>',
 "From: sip:caller@example.net;tag=93334",
 "Max-Forwards: 10",
 "Call-ID: quotbal.aksdj",
 "Contact: <sip:caller@host59.example.net>",
 "CSeq: 8 INVITE",
 "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234",
 "Content-Type: application/sdp",
 "Content-Length: 152",
], sdp("192.0.2.15")))

put(I, "ltgtruri", msg([
 "INVITE <sip:user@example.com> SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:caller@example.net;tag=39291",
 "Max-Forwards: 23",
 "Call-ID: ltgtruri.1@192.0.2.5",
 "CSeq: 1 INVITE",
 "Via: SIP/2.0/UDP 192.0.2.5",
 "Contact: <sip:caller@host5.example.net>",
 "Content-Type: application/sdp",
 "Content-Length: 159",
], sdp("192.0.2.5", t="3149328700 0")))

put(I, "lwsruri", msg([
 "INVITE sip:user@example.com; lr SIP/2.0",
 "To: sip:user@example.com;tag=3xfe-9921883-z9f",
 "From: sip:caller@example.net;tag=231413434",
 "Max-Forwards: 5",
 "Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423",
 "CSeq: 2130706432 INVITE",
 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395",
 "Contact: <sip:caller@host1.example.net>",
 "Content-Type: application/sdp",
 "Content-Length: 159",
], sdp("192.0.2.1", t="3149328700 0")))

put(I, "lwsstart", msg([
 "INVITE  sip:user@example.com  SIP/2.0",
 "Max-Forwards: 8",
 "To: sip:user@example.com",
 "From: sip:caller@example.net;tag=8814",
 "Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com",
 "CSeq: 1893884 INVITE",
 "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923",
 "Contact: <sip:caller@host1.example.net>",
 "Content-Type: application/sdp",
 "Content-Length: 150",
], sdp("192.0.2.1")))

put(I, "trws", msg([
 "OPTIONS sip:remote-target@example.com SIP/2.0  ",
 "Via: SIP/2.0/TCP host1.examle.com;branch=z9hG4bK299342093",
 "To: <sip:remote-target@example.com>",
 "From: <sip:local-resource@example.com>;tag=329429089",
 "Call-ID: trws.oicu34958239neffasdhr2345r",
 "Accept: application/sdp",
 "CSeq: 238923 OPTIONS",
 "Max-Forwards: 70",
 "Content-Length: 0",
]))

put(I, "escruri", msg([
 "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:caller@example.net;tag=341518",
 "Max-Forwards: 7",
 "Contact: <sip:caller@host39923.example.net>",
 "Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5",
 "CSeq: 149209342 INVITE",
 "Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw",
 "Content-Type: application/sdp",
 "Content-Length: 150",
], sdp("192.0.2.1")))

# 3.1.2.12: rejecting is allowed but not advised unless Date matters; it does not to us.
put(V, "baddate", msg([
 "INVITE sip:user@example.com SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:caller@example.net;tag=2234923",
 "Max-Forwards: 70",
 "Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234",
 "CSeq: 1392934 INVITE",
 "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw",
 "Date: Fri, 01 Jan 2010 16:00:00 EST",
 "Contact: <sip:caller@host5.example.net>",
 "Content-Type: application/sdp",
 "Content-Length: 150",
], sdp("192.0.2.5")))

put(I, "regbadct", msg([
 "REGISTER sip:example.com SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:user@example.com;tag=998332",
 "Max-Forwards: 70",
 "Call-ID: regbadct.k345asrl3fdbv@10.0.0.1",
 "CSeq: 1 REGISTER",
 "Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw",
 "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E",
 "l: 0",
]))

put(I, "badaspec", msg([
 "OPTIONS sip:user@example.org SIP/2.0",
 "Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234",
 "Max-Forwards: 70",
 'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423',
 'To: "Watson, Thomas" < sip:t.watson@example.org >',
 "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3",
 "Accept: application/sdp",
 "CSeq: 3923239 OPTIONS",
 "l: 0",
]))

put(I, "baddn", msg([
 "OPTIONS sip:t.watson@example.org SIP/2.0",
 "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw",
 "Max-Forwards:      70",
 "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
 "To:      Watson, Thomas <sip:t.watson@example.org>",
 "Call-ID: baddn.31415@c.example.com",
 "Accept: application/sdp",
 "CSeq:    3923239 OPTIONS",
 "l: 0",
]))

put(I, "badvers", msg([
 "OPTIONS sip:t.watson@example.org SIP/7.0",
 "Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw",
 "Max-Forwards:     70",
 "From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe",
 "To:      T. Watson <sip:t.watson@example.org>",
 "Call-ID: badvers.31417@c.example.com",
 "CSeq:    1 OPTIONS",
 "l: 0",
]))

put(I, "mismatch01", msg([
 "OPTIONS sip:user@example.com SIP/2.0",
 "To: sip:j.user@example.com",
 "From: sip:caller@example.net;tag=34525",
 "Max-Forwards: 6",
 "Call-ID: mismatch01.dj0234sxdfl3",
 "CSeq: 8 INVITE",
 "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw",
 "l: 0",
]))

put(I, "mismatch02", msg([
 "NEWMETHOD sip:user@example.com SIP/2.0",
 "To: sip:j.user@example.com",
 "From: sip:caller@example.net;tag=34525",
 "Max-Forwards: 6",
 "Call-ID: mismatch02.dj0234sxdfl3",
 "CSeq: 8 INVITE",
 "Contact: <sip:caller@host.example.net>",
 "Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw",
 "Content-Type: application/sdp",
 "l: 138",
], crlf("v=0\no=mhandley 29739 7272939 IN IP4 192.0.2.1\nc=IN IP4 192.0.2.1\nm=audio 49217 RTP/AVP 0 12\nm=video 3227 RTP/AVP 31\na=rtpmap:31 LPC")))

put(I, "bigcode", msg([
 "SIP/2.0 4294967301 better not break the receiver",
 "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
 "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i",
 "CSeq: 353494 INVITE",
 "From: <sip:user@example.com>;tag=39ansfi3",
 "To: <sip:user@example.edu>;tag=902jndnke3",
 "Content-Length: 0",
 "Contact: <sip:user@host105.example.com>",
]))

# ---- 3.2 transaction layer: parses ----
put(V, "badbranch", msg([
 "OPTIONS sip:user@example.com SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:caller@example.org;tag=33242",
 "Max-Forwards: 3",
 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK",
 "Accept: application/sdp",
 "Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n",
 "CSeq: 8 OPTIONS",
 "l: 0",
]))

# ---- 3.3 application layer ----
put(I, "insuf", msg([
 "INVITE sip:user@example.com SIP/2.0",
 "CSeq: 193942 INVITE",
 "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf",
 "Content-Type: application/sdp",
 "l: 152",
], sdp("192.0.2.95")))

put(V, "unkscm", msg([
 "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:caller@example.net;tag=384",
 "Max-Forwards: 3",
 "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34",
 "CSeq: 3923423 OPTIONS",
 "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234",
 "Content-Length: 0",
]))

put(V, "novelsc", msg([
 "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:caller@example.net;tag=384",
 "Max-Forwards: 3",
 "Call-ID: novelsc.asdfasser0q239nwsdfasdkl34",
 "CSeq: 3923423 OPTIONS",
 "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234",
 "Content-Length: 0",
]))

put(V, "unksm2", msg([
 "REGISTER sip:example.com SIP/2.0",
 "To: isbn:2983792873",
 "From: <http://www.example.com>;tag=3234233",
 "Call-ID: unksm2.daksdj@hyphenated-host.example.com",
 "CSeq: 234902 REGISTER",
 "Max-Forwards: 70",
 "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw",
 "Contact: <name:John_Smith>",
 "l: 0",
]))

put(V, "bext01", msg([
 "OPTIONS sip:user@example.com SIP/2.0",
 "To: sip:j_user@example.com",
 "From: sip:caller@example.net;tag=242etr",
 "Max-Forwards: 6",
 "Call-ID: bext01.0ha0isndaksdj",
 "Require: nothingSupportsThis, nothingSupportsThisEither",
 "Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis",
 "CSeq: 8 OPTIONS",
 "Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw",
 "Content-Length: 0",
]))

put(V, "invut", msg([
 "INVITE sip:user@example.com SIP/2.0",
 "Contact: <sip:caller@host5.example.net>",
 "To: sip:j.user@example.com",
 "From: sip:caller@example.net;tag=8392034",
 "Max-Forwards: 70",
 "Call-ID: invut.0ha0isndaksdjadsfij34n23d",
 "CSeq: 235448 INVITE",
 "Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw",
 "Content-Type: application/unknownformat",
 "Content-Length: 40",
], crlf('<audio>\n <pcmu port="443"/>\n</audio>')))

put(V, "regaut01", msg([
 "REGISTER sip:example.com SIP/2.0",
 "To: sip:j.user@example.com",
 "From: sip:j.user@example.com;tag=87321hj23128",
 "Max-Forwards: 8",
 "Call-ID: regaut01.0ha0isndaksdj",
 "CSeq: 9338 REGISTER",
 "Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw",
 "Authorization: NoOneKnowsThisScheme opaque-data=here",
 "Content-Length:0",
]))

put(I, "multi01", msg([
 "INVITE sip:user@company.com SIP/2.0",
 "Contact: <sip:caller@host25.example.net>",
 "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw",
 "Max-Forwards: 70",
 "CSeq: 5 INVITE",
 "Call-ID: multi01.98asdh@192.0.2.1",
 "CSeq: 59 INVITE",
 "Call-ID: multi01.98asdh@192.0.2.2",
 "From: sip:caller@example.com;tag=3413415",
 "To: sip:user@example.com",
 "To: sip:other@example.net",
 "From: sip:caller@example.net;tag=2923420123",
 "Content-Type: application/sdp",
 "l: 154",
 "Contact: <sip:caller@host36.example.net>",
 "Max-Forwards: 5",
], sdp("192.0.2.25") + "\r\n"))

put(I, "mcl01", msg([
 "OPTIONS sip:user@example.com SIP/2.0",
 "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423",
 "To: sip:user@example.com",
 "From: sip:other@example.net;tag=3923942",
 "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf",
 "CSeq: 15932 OPTIONS",
 "Content-Length: 13",
 "Max-Forwards: 60",
 "Content-Length: 5",
 "Content-Type: text/plain",
], crlf("There's no way to know how many octets are supposed to be here.")))

put(V, "bcast", msg([
 "SIP/2.0 200 OK",
 "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923",
 "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23",
 "Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf",
 "CSeq: 35 INVITE",
 "From: sip:user@example.com;tag=11141343",
 "To: sip:user@example.edu;tag=2229",
 "Content-Length: 154",
 "Content-Type: application/sdp",
 "Contact: <sip:user@host28.example.com>",
], sdp("192.0.2.198")))

put(V, "zeromf", msg([
 "OPTIONS sip:user@example.com SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:caller@example.net;tag=3ghsd41",
 "Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas",
 "CSeq: 39234321 OPTIONS",
 "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i",
 "Max-Forwards: 0",
 "Content-Length: 0",
]))

put(V, "cparam01", msg([
 "REGISTER sip:example.com SIP/2.0",
 "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw",
 "Max-Forwards: 70",
 "From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe",
 "To: sip:watson@example.com",
 "Call-ID: cparam01.70710@saturn.example.com",
 "CSeq: 2 REGISTER",
 "Contact: sip:+19725552222@gw1.example.net;unknownparam",
 "l: 0",
]))

put(V, "cparam02", msg([
 "REGISTER sip:example.com SIP/2.0",
 "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw",
 "Max-Forwards: 70",
 "From: sip:watson@example.com;tag=838293",
 "To: sip:watson@example.com",
 "Call-ID: cparam02.70710@saturn.example.com",
 "CSeq: 3 REGISTER",
 "Contact: <sip:+19725552222@gw1.example.net;unknownparam>",
 "l: 0",
]))

put(V, "regescrt", msg([
 "REGISTER sip:example.com SIP/2.0",
 "To: sip:user@example.com",
 "From: sip:user@example.com;tag=8",
 "Max-Forwards: 70",
 "Call-ID: regescrt.k345asrl3fdbv@192.0.2.1",
 "CSeq: 14398234 REGISTER",
 "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw",
 "M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>",
 "L:0",
]))

put(V, "sdp01", msg([
 "INVITE sip:user@example.com SIP/2.0",
 "To: sip:j_user@example.com",
 "Contact: <sip:caller@host15.example.net>",
 "From: sip:caller@example.net;tag=234",
 "Max-Forwards: 5",
 "Call-ID: sdp01.ndaksdj9342dasdd",
 "Accept: text/nobodyKnowsThis",
 "CSeq: 8 INVITE",
 "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw",
 "Content-Length: 150",
 "Content-Type: application/sdp",
], sdp("192.0.2.5")))

# ---- 3.4 backward compatibility ----
put(V, "inv2543", msg([
 "INVITE sip:UserB@example.com SIP/2.0",
 "Via: SIP/2.0/UDP iftgw.example.com",
 "From: <sip:+13035551111@ift.client.example.net;user=phone>",
 "Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>",
 "To: sip:+16505552222@ss1.example.net;user=phone",
 "Call-ID: inv2543.1717@ift.client.example.com",
 "CSeq: 56 INVITE",
 "Content-Type: application/sdp",
], crlf("v=0\no=mhandley 29739 7272939 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 49217 RTP/AVP 0")))


# ---- our own: real phones, compact forms, IPv6, size, malformed Vias and URIs ----
own_sdp = crlf("v=0\no=- 3712841274 3712841274 IN IP4 198.51.100.4\ns=Polycom IP Phone\nc=IN IP4 198.51.100.4\nt=0 0\nm=audio 2226 RTP/AVP 9 0 8 18 101\na=rtpmap:9 G722/8000\na=rtpmap:0 PCMU/8000\na=rtpmap:8 PCMA/8000\na=rtpmap:18 G729/8000\na=fmtp:18 annexb=no\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\na=sendrecv")
put(V, "own_invite_sdp", msg([
 "INVITE sip:2001@pbx.example.com SIP/2.0",
 "Via: SIP/2.0/UDP 198.51.100.4:5060;branch=z9hG4bK4a8e1f5b3c2d;rport",
 "From: \"Alice Smith\" <sip:1001@pbx.example.com>;tag=8C1F2A7B-4D3E2F10",
 "To: <sip:2001@pbx.example.com>",
 "CSeq: 1 INVITE",
 "Call-ID: 6f1e2d3c-4b5a6978-8796a5b4@198.51.100.4",
 "Contact: <sip:1001@198.51.100.4:5060;transport=udp>",
 "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, SUBSCRIBE, NOTIFY, PRACK, UPDATE, REFER",
 "User-Agent: PolycomVVX-VVX_411-UA/6.3.1.8427",
 "Accept-Language: en",
 "Supported: 100rel,replaces,timer",
 "Allow-Events: conference,talk,hold",
 "Max-Forwards: 70",
 "Content-Type: application/sdp",
 "Content-Length: %d" % len(own_sdp),
], own_sdp))

put(V, "own_register", msg([
 "REGISTER sip:pbx.example.com SIP/2.0",
 "Via: SIP/2.0/TLS 198.51.100.23:49822;branch=z9hG4bK.3XqlHDeYf;rport",
 "From: <sip:1001@pbx.example.com>;tag=E8NTnGq~B",
 "To: sip:1001@pbx.example.com",
 "CSeq: 21 REGISTER",
 "Call-ID: 2dT8kyWKuM",
 "Max-Forwards: 70",
 "Supported: replaces, outbound, gruu, path",
 "Accept: application/sdp",
 "Accept: text/plain",
 "Accept: application/vnd.gsma.rcs-ft-http+xml",
 'Contact: <sip:1001@198.51.100.23:49822;transport=tls>;+sip.instance="<urn:uuid:d9f1d1d5-4d64-4a7f-b8a6-6bd2b8f1e1c2>";reg-id=1;expires=600;q=0.8',
 "Expires: 600",
 'Authorization: Digest realm="pbx.example.com", nonce="a7b3c9d1e5f7", algorithm=SHA-256,',
 ' username="1001",  uri="sip:pbx.example.com", response="0f4c2f8e9b1d", qop=auth,',
 " cnonce=\"k2SmEytBoT\", nc=00000001",
 "User-Agent: Linphone-Desktop/5.2.4 (belle-sip/5.2.94)",
 "Content-Length: 0",
]))

ok_sdp = crlf("v=0\no=sotto 1 1 IN IP4 203.0.113.5\ns=-\nc=IN IP4 203.0.113.5\nt=0 0\nm=audio 40000 RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=sendrecv")
put(V, "own_200ok", msg([
 "SIP/2.0 200 OK",
 "Via: SIP/2.0/UDP 198.51.100.4:5060;branch=z9hG4bK4a8e1f5b3c2d;rport=5060;received=198.51.100.7",
 "Record-Route: <sip:203.0.113.5;lr;ftag=8C1F2A7B-4D3E2F10>",
 "From: \"Alice Smith\" <sip:1001@pbx.example.com>;tag=8C1F2A7B-4D3E2F10",
 "To: <sip:2001@pbx.example.com>;tag=as5f8e2c91",
 "Call-ID: 6f1e2d3c-4b5a6978-8796a5b4@198.51.100.4",
 "CSeq: 1 INVITE",
 "Server: Sotto",
 "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE",
 "Supported: replaces, timer",
 "Session-Expires: 1800;refresher=uas",
 "Contact: <sip:2001@203.0.113.5:5060>",
 "Content-Type: application/sdp",
 "Content-Length: %d" % len(ok_sdp),
], ok_sdp))

put(V, "own_compact", msg([
 "INVITE sip:bob@example.com SIP/2.0",
 "v: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds7",
 "f: Alice <sip:alice@example.com>;tag=1928301774",
 "t: Bob <sip:bob@example.com>",
 "i: a84b4c76e66710@pc33.example.com",
 "CSeq: 314159 INVITE",
 "m: <sip:alice@pc33.example.com>",
 "k: 100rel",
 "s: compact forms",
 "o: presence",
 "r: <sip:carol@example.com>",
 "x: 1800",
 "e: identity",
 "c: application/sdp",
 "l: 150",
], sdp("192.0.2.4")))

put(V, "own_ipv6", msg([
 "OPTIONS sip:[2001:db8::10]:5060 SIP/2.0",
 "Via: SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3-111;rport",
 "Via: SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bKas3-222;received=2001:db8::9:254",
 "Max-Forwards: 70",
 "From: <sip:user@[2001:db8::9:1]>;tag=ipv6-1",
 "To: <sip:[2001:db8::10]>",
 "Call-ID: ipv6.asdf@[2001:db8::9:1]",
 "CSeq: 1 OPTIONS",
 "Contact: <sip:user@[2001:db8::9:1]:5070>",
 "Content-Length: 0",
]))

put(V, "own_tel", msg([
 "INVITE tel:+1-201-555-0123;phone-context=example.com SIP/2.0",
 "Via: SIP/2.0/UDP gw.example.com;branch=z9hG4bKtel1",
 "Max-Forwards: 70",
 "From: \"Gateway\" <tel:+12015550100>;tag=tel1",
 "To: <tel:+1-201-555-0123>",
 "Call-ID: tel1@gw.example.com",
 "CSeq: 1 INVITE",
 "Content-Length: 0",
]))

big = [
 "MESSAGE sip:bob@example.com SIP/2.0",
 "Via: SIP/2.0/TCP client.example.com:5060;branch=z9hG4bKbig-1",
 "Max-Forwards: 70",
 "From: <sip:alice@example.com>;tag=big1",
 "To: <sip:bob@example.com>",
 "Call-ID: big1@client.example.com",
 "CSeq: 1 MESSAGE",
] + ["X-Filler-%03d: %s" % (i, "y" * 60) for i in range(140)]
big_body = "z" * 1000
put(V, "own_big", msg(big + ["Content-Type: text/plain", "Content-Length: 1000"], big_body))

# Vias carry rport, as real phones' do, so the daemon's answer reaches the sender's port.
def bad(name, via="Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds;rport",
        ruri="sip:bob@example.com", to="To: Bob <sip:bob@example.com>", cseq="CSeq: 63104 OPTIONS",
        extra=()):
    put(I, name, msg([
     "OPTIONS %s SIP/2.0" % ruri, via, "Max-Forwards: 70", to,
     "From: Alice <sip:alice@example.com>;tag=1928301774",
     "Call-ID: a84b4c76e66710@pc33.example.com", cseq] + list(extra) + ["Content-Length: 0"]))

bad("own_via_notransport", via="Via: SIP/2.0 pc33.example.com;branch=z9hG4bK1")
bad("own_via_badport", via="Via: SIP/2.0/UDP pc33.example.com:99999;branch=z9hG4bK1")
bad("own_via_nohost", via="Via: SIP/2.0/UDP ;branch=z9hG4bK1")
bad("own_via_empty", via="Via:")
bad("own_via_v6open", via="Via: SIP/2.0/UDP [2001:db8::1;branch=z9hG4bK1")
bad("own_via_badrport", via="Via: SIP/2.0/UDP pc33.example.com;rport=0;branch=z9hG4bK1")
bad("own_via_badreceived", via="Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1;received=evil.example.com")
bad("own_via_second_bad", extra=("Via: SIP/2.0/UDP ok.example.com;branch=z9hG4bK2, SIP/2.0/UDP",))
bad("own_uri_badescape", ruri="sip:b%zzob@example.com")
bad("own_uri_nohost", ruri="sip:bob@")
bad("own_uri_badport", ruri="sip:bob@example.com:0")
bad("own_uri_emptyparam", ruri="sip:bob@example.com;;lr")
bad("own_uri_space", ruri="sip:bob@example.com;transport=udp lr")
bad("own_to_space", to="To: <sip:bob @example.com>")
bad("own_to_unclosed", to="To: <sip:bob@example.com")
bad("own_cseq_alpha", cseq="CSeq: abc OPTIONS")
bad("own_cseq_mismatch", cseq="CSeq: 63104 INVITE")
bad("own_contact_bad", extra=("Contact: <sip:alice@pc33.example.com>;expires=soon",))
put(I, "own_version", msg([
 "OPTIONS sip:bob@example.com SIP/3.0",
 "Via: SIP/3.0/UDP pc33.example.com;branch=z9hG4bK776asdhds;rport",
 "Max-Forwards: 70", "To: Bob <sip:bob@example.com>",
 "From: Alice <sip:alice@example.com>;tag=1928301774",
 "Call-ID: version@pc33.example.com", "CSeq: 1 OPTIONS", "Content-Length: 0"]))
bad("own_bare_cr", via="Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1\rX-Injected: yes")
put(I, "own_bare_lf", b"OPTIONS sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1\nMax-Forwards: 70\nTo: <sip:bob@example.com>\nFrom: <sip:alice@example.com>;tag=1\nCall-ID: lf@pc33\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n")
put(I, "own_no_blank_line", b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\nCall-ID: nb@pc33\r\nCSeq: 1 OPTIONS\r\n")

for (d, name), data in sorted(out.items()):
    with open(os.path.join(d, name + ".sip"), "wb") as f:
        f.write(data)
print(len(out), "files")
