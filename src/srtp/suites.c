/* The SRTP crypto suites as one table: RFC 4568 6.2 (AES_CM_128_HMAC_SHA1_80/_32), RFC 6188
 * (AES_256_CM_HMAC_SHA1_80), RFC 7714 14.2 (AEAD_AES_128_GCM, AEAD_AES_256_GCM). */
#include <errno.h>
#include <string.h>

#include "srtp/srtp_int.h"

const struct sr_suite_def sr_suites[SR_SUITE_COUNT] = {
	[SR_AES_CM_128_HMAC_SHA1_80] = {
		.info = {.name = "AES_CM_128_HMAC_SHA1_80", .key_len = 16, .salt_len = 14,
			 .rtp_tag_len = 10, .rtcp_tag_len = 10},
		.kdf_cipher = "AES-128-ECB",
		.cipher = "AES-128-ECB",
		.session_salt_len = 14,
		.auth_key_len = SR_AUTH_KEY_LEN,
		.xf = &sr_xform_cm_hmac,
	},
	/* RFC 4568 6.2.1: the 32-bit tag is for SRTP only; SRTCP keeps 80 bits. */
	[SR_AES_CM_128_HMAC_SHA1_32] = {
		.info = {.name = "AES_CM_128_HMAC_SHA1_32", .key_len = 16, .salt_len = 14,
			 .rtp_tag_len = 4, .rtcp_tag_len = 10},
		.kdf_cipher = "AES-128-ECB",
		.cipher = "AES-128-ECB",
		.session_salt_len = 14,
		.auth_key_len = SR_AUTH_KEY_LEN,
		.xf = &sr_xform_cm_hmac,
	},
	/* RFC 6188 3 and 5: AES-256 counter mode, AES_256_CM_PRF key derivation. */
	[SR_AES_256_CM_HMAC_SHA1_80] = {
		.info = {.name = "AES_256_CM_HMAC_SHA1_80", .key_len = 32, .salt_len = 14,
			 .rtp_tag_len = 10, .rtcp_tag_len = 10},
		.kdf_cipher = "AES-256-ECB",
		.cipher = "AES-256-ECB",
		.session_salt_len = 14,
		.auth_key_len = SR_AUTH_KEY_LEN,
		.xf = &sr_xform_cm_hmac,
	},
	/* RFC 7714 12: 12-octet master salt, 16-octet tag; key derivation per section 11. */
	[SR_AEAD_AES_128_GCM] = {
		.info = {.name = "AEAD_AES_128_GCM", .key_len = 16, .salt_len = 12,
			 .rtp_tag_len = 16, .rtcp_tag_len = 16},
		.kdf_cipher = "AES-128-ECB",
		.cipher = "AES-128-GCM",
		.session_salt_len = 12,
		.aead = true,
		.xf = &sr_xform_gcm,
	},
	[SR_AEAD_AES_256_GCM] = {
		.info = {.name = "AEAD_AES_256_GCM", .key_len = 32, .salt_len = 12,
			 .rtp_tag_len = 16, .rtcp_tag_len = 16},
		.kdf_cipher = "AES-256-ECB",
		.cipher = "AES-256-GCM",
		.session_salt_len = 12,
		.aead = true,
		.xf = &sr_xform_gcm,
	},
};

const struct sr_suite_info *sr_suite_info(enum sr_suite s)
{
	if ((unsigned)s >= SR_SUITE_COUNT)
		return NULL;
	return &sr_suites[s].info;
}

int sr_suite_by_name(const char *name, size_t len, enum sr_suite *out)
{
	if (!name || !out)
		return EINVAL;
	for (unsigned i = 0; i < SR_SUITE_COUNT; i++) {
		const char *n = sr_suites[i].info.name;
		if (strlen(n) == len && memcmp(n, name, len) == 0) {
			*out = (enum sr_suite)i;
			return 0;
		}
	}
	return ENOENT;
}
