/* call_linger: forks that lost. When several forks answer (RFC 3261 13.2.2.4), or a callee
 * answers while its INVITE is being cancelled (the caller hung up, the ring timed out, another
 * fork won), the UAC must ACK that 2xx and then end the dialog with a BYE; left alone the
 * callee resends its 2xx for 32 s and then hangs up a call nobody hears. A call that ends
 * while forks are still pending hands their dialogs over here: the transaction layer sends a
 * 2xx that arrives after its INVITE was abandoned (and every 2xx retransmission) to the stray
 * handler, which finds the fork here for up to 64 s (64*T1 for the CANCEL's final, then timer
 * M). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "pbx/call_int.h"
#include "pbx/pbx_int.h"

#define LINGER_MS 64000u

struct call_linger {
	struct call_linger *next;
	struct call_linger **head;
	struct sip_stack *s;
	struct sip_dialog *dlg;
	struct tmr tmr;
	bool byed;	       /* ACKed and BYE'd: a retransmitted 2xx only gets the ACK again */
	char late_addr[64];    /* our INVITE had no SDP: a 2xx offer is refused in the ACK */
	char id[24];	       /* the call's, for the log */
};

static void ignore_response(const struct sip_msg *resp, int err, void *arg)
{
	(void)resp;
	(void)err;
	(void)arg;
}

int call_dialog_ack(struct sip_stack *s, struct sip_dialog *d, uint32_t cseq, struct pl body,
		    struct mbuf *keep)
{
	struct mbuf mb;
	mbuf_init(&mb);
	int err = sip_dialog_ack(d, &mb, cseq, NULL, body.l ? "application/sdp" : NULL,
				 body);
	if (!err)
		err = sip_stack_send(s, sip_dialog_peer(d), mb.buf, mb.len);
	if (!err && keep) {
		mbuf_reset(keep);
		err = mbuf_write(keep, mb.buf, mb.len);
	}
	if (mb.buf)
		OPENSSL_cleanse(mb.buf, mb.cap); /* an answer carries our key */
	mbuf_free(&mb);
	return err;
}

void call_dialog_bye(struct sip_stack *s, struct sip_dialog *d)
{
	struct mbuf mb;
	mbuf_init(&mb);
	int err = sip_dialog_request(d, &mb, "BYE", PBX_SERVER_HDR, NULL, PL_NULL, NULL);
	if (!err)
		err = sip_ctrans_send(s, NULL, sip_dialog_peer(d), mb.buf, mb.len, ignore_response,
				      NULL);
	if (err)
		log_warn("call: could not send BYE in dialog %s: %s", sip_dialog_call_id(d),
			 strerror(err));
	mbuf_free(&mb);
}

void call_loser_ack_bye(struct sip_stack *s, struct sip_dialog *d, const struct sip_msg *resp,
			const char *late_addr, bool bye)
{
	struct mbuf body;
	struct sdp_origin o;
	struct sdp *offer = NULL;
	mbuf_init(&body);
	/* a 2xx to an INVITE without SDP carries an offer: the ACK must answer it (RFC 3261
	 * 13.2.2.4), here refusing every stream since the dialog is hung up at once */
	if (late_addr && resp->body.l && (offer = call_sdp_parse(resp->body.p, resp->body.l)) &&
	    !sdp_origin_init(&o))
		call_sdp_refuse(&o, offer, late_addr, &body);
	free(offer);
	call_dialog_ack(s, d, resp->cseq, pl_from(body.buf, body.len), NULL);
	mbuf_free(&body);
	if (bye)
		call_dialog_bye(s, d);
}

void call_fork_reject(struct sip_stack *s, const struct sip_dialog *d, const struct sip_msg *resp,
		      const char *late_addr)
{
	struct sip_dialog *f = NULL;
	if (sip_dialog_uac_fork(&f, d, resp))
		return;
	log_info("call: a second 2xx (another fork of %s): ACK and BYE", sip_dialog_call_id(d));
	call_loser_ack_bye(s, f, resp, late_addr, true);
	sip_dialog_free(f);
}

static void linger_free(struct call_linger *l)
{
	for (struct call_linger **pp = l->head; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	tmr_cancel(&l->tmr);
	sip_dialog_free(l->dlg);
	free(l);
}

static void linger_expired(void *arg)
{
	linger_free(arg);
}

void call_linger_add(struct call_linger **head, struct sip_stack *s, struct tmr_list *tl,
		     struct sip_dialog *dlg, const char *call_id, const char *late_addr)
{
	struct call_linger *l = calloc(1, sizeof(*l));
	if (!l) {
		sip_dialog_free(dlg);
		return;
	}
	l->head = head;
	l->s = s;
	l->dlg = dlg;
	l->byed = sip_dialog_state(dlg) == SIP_DIALOG_CONFIRMED;
	snprintf(l->id, sizeof(l->id), "%s", call_id);
	if (late_addr)
		snprintf(l->late_addr, sizeof(l->late_addr), "%s", late_addr);
	tmr_init(&l->tmr);
	if (tmr_start(tl, &l->tmr, LINGER_MS, linger_expired, l)) {
		sip_dialog_free(dlg);
		free(l);
		return;
	}
	l->next = *head;
	*head = l;
}

bool call_linger_stray(struct call_linger **head, const struct sip_msg *resp)
{
	for (struct call_linger *l = *head; l; l = l->next) {
		if (!sip_dialog_match_response(l->dlg, resp))
			continue;
		const char *late = l->late_addr[0] ? l->late_addr : NULL;
		int err = sip_dialog_uac_confirm(l->dlg, resp);
		if (err == EEXIST) {
			call_fork_reject(l->s, l->dlg, resp, late);
			return true;
		}
		if (err)
			continue;
		if (!l->byed)
			log_info("call %s: a fork answered after the call ended: ACK and BYE", l->id);
		call_loser_ack_bye(l->s, l->dlg, resp, late, !l->byed);
		l->byed = true;
		return true;
	}
	return false;
}

void call_linger_free_all(struct call_linger **head)
{
	while (*head)
		linger_free(*head);
}
