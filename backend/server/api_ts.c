/* CSC API v2 signatures/timestamp: an RFC 3161 token over the given hash from the TSA of
 * `tsa_url`, through libltsig's TSA client (nonce, certReq, the answer fully checked
 * before it is passed on). The client's own `nonce` cannot be forwarded: the TSA client
 * draws its own and checks it. */
#define LTS_MODULE "ltsigd-api"
#include "api_int.h"

#include <string.h>
#include <ltsig/tsa.h>
#include "core/codec.h"
#include "core/err.h"

static lts_hash ts_hash(const char *oid)
{
    if (oid == NULL)
        return LTS_HASH_NONE;
    if (strcmp(oid, "2.16.840.1.101.3.4.2.1") == 0)
        return LTS_HASH_SHA256;
    if (strcmp(oid, "2.16.840.1.101.3.4.2.2") == 0)
        return LTS_HASH_SHA384;
    if (strcmp(oid, "2.16.840.1.101.3.4.2.3") == 0)
        return LTS_HASH_SHA512;
    return LTS_HASH_NONE;
}

void api_m_timestamp(api_req *r, json_t *body)
{
    static const char ev[] = "signatures/timestamp";
    lts_buf dg = LTS_BUF_INIT_MAX(256), tok = LTS_BUF_INIT, b64 = LTS_BUF_INIT,
            hex = LTS_BUF_INIT;
    lts_tsa *tsa = NULL;
    lts_tsa_opts o = LTS_TSA_OPTS_INIT;
    const char *urls[1];
    if (r->ctx->conf->tsa_url == NULL) {
        api_error(r, 501, "not_implemented_method", "No TSA is configured (tsa_url)");
        goto out;
    }
    const char *oid = api_str(body, "hashAlgorithmOID");
    if (oid == NULL)
        oid = api_str(body, "hashAlgo"); /* CSC v1 */
    lts_hash h = ts_hash(oid);
    const char *hb64 = api_str(body, "hash");
    if (h == LTS_HASH_NONE) {
        api_error(r, 400, "invalid_request", "Invalid parameter hashAlgorithmOID");
        goto out;
    }
    if (hb64 == NULL || lts_b64__decode(&dg, hb64, strlen(hb64)) != LTS_OK ||
        dg.n != lts_hash_size(h)) {
        lts_error_clear();
        api_error(r, 400, "invalid_request", "Invalid digest value length");
        goto out;
    }
    urls[0] = r->ctx->conf->tsa_url;
    o.timeout_s = 20;
    if (lts_tsa_open_http(&tsa, urls, 1, &o) != LTS_OK ||
        lts_tsa_stamp(tsa, h, lts_buf_span(&dg), &tok) != LTS_OK) {
        srv_log(r->ctx->log_level, SRV_LOG_ERROR, "error", "method", ev, "message",
                lts_error_last()->message, NULL);
        (void)srv_audit(r->ctx->db, ev, r->user, "", "error", "the TSA failed");
        api_error(r, 503, "temporarily_unavailable", "The time-stamping authority failed");
        goto out;
    }
    if (lts_b64__encode(&b64, lts_buf_span(&tok)) != LTS_OK ||
        lts_hex__encode(&hex, lts_buf_span(&dg)) != LTS_OK ||
        srv_audit(r->ctx->db, ev, r->user, "", "ok", (const char *)hex.p) != LTS_OK) {
        api_server_error(r, ev);
        goto out;
    }
    r->resp = json_pack("{s:s}", "timestamp", (const char *)b64.p);
    r->status = r->resp ? 200 : 500;
out:
    lts_tsa_close(tsa);
    lts_buf_dispose(&dg);
    lts_buf_dispose(&tok);
    lts_buf_dispose(&b64);
    lts_buf_dispose(&hex);
}
