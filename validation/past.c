/* see validation/validation_int.h (past signature validation of revocation data).
 *
 * EN 319 102-1 V1.3.1 building blocks used here:
 *   §5.2.5.4 revocation freshness checker: data issued at time T is fresh for a control time
 *            C when C - T <= the maximum accepted age (policy), or, without such a constraint,
 *            when C is before the data's nextUpdate;
 *   §5.2.6   X.509 certificate validation: the signing (or TSA) certificate revoked gives
 *            INDETERMINATE/REVOKED_NO_POE, a CA certificate of the path revoked gives
 *            INDETERMINATE/REVOKED_CA_NO_POE; no usable revocation data gives
 *            INDETERMINATE/TRY_LATER;
 *   §5.3.4   a signed claim of time (signing-time, genTime) after the signing certificate's
 *            revocation makes the signature TOTAL_FAILED/REVOKED;
 *   §5.6.2.1 past signature validation: a revocation (REVOKED_NO_POE / REVOKED_CA_NO_POE)
 *            after a proof of existence of the signature does not touch it.
 */
#include "validation_int.h"

#include <stdio.h>
#include <string.h>

static void set(lts_past_out *o, lts_indication ind, lts_subindication sub, const char *why)
{
    o->indication = ind;
    o->sub = sub;
    snprintf(o->why, sizeof o->why, "%s", why);
}

static const char *role_name(lts_past_role r)
{
    switch (r) {
    case LTS_PAST_CA: return "CA certificate";
    case LTS_PAST_TSA: return "TSA certificate";
    case LTS_PAST_SIGNER:
    default: return "signer certificate";
    }
}

void lts_past__revocation(const lts_past_in *in, lts_past_out *out)
{
    char why[200];
    const char *who = role_name(in->role);

    set(out, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE, "");

    /* Step 1 (§5.2.6, revocation checking): without revocation data the status of the
     * certificate at the control time is unknown. At a long-term level (the file claims
     * to carry its validation data) that is INDETERMINATE/TRY_LATER; elsewhere it is only
     * said (B-B and B-T never promised it). */
    if (!in->have_data) {
        snprintf(why, sizeof why, "no revocation data for the %s", who);
        set(out, in->data_required ? LTS_IND_INDETERMINATE : LTS_IND_TOTAL_PASSED,
            in->data_required ? LTS_SUB_TRY_LATER : LTS_SUB_NONE, why);
        return;
    }

    /* Step 2 (§5.2.6 + §5.6.2.1): the certificate is revoked. Revocation is permanent, so
     * any data saying so counts, whenever it was issued. */
    if (in->info.status == LTS_CERT_REVOKED) {
        /* 2a. A proof of existence before the revocation: the object existed while the
         *     certificate was still valid; past signature validation accepts it. */
        if (in->has_poe && in->poe < in->info.revocation_time) {
            snprintf(why, sizeof why, "the %s was revoked after the proof of existence", who);
            set(out, LTS_IND_TOTAL_PASSED, LTS_SUB_NONE, why);
            return;
        }
        /* 2b. A CA: REVOKED_CA_NO_POE. §5.3.4 turns only the signing certificate's
         *     revocation into TOTAL_FAILED; a revoked CA stays INDETERMINATE. */
        if (in->role == LTS_PAST_CA) {
            snprintf(why, sizeof why, "the %s was revoked and nothing proves the object "
                     "existed before", who);
            set(out, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_CA_NO_POE, why);
            return;
        }
        /* 2c. The signed claim of time is at or after the revocation: made with a revoked
         *     key, TOTAL_FAILED/REVOKED (§5.3.4). */
        if (in->has_claim && in->claim >= in->info.revocation_time) {
            snprintf(why, sizeof why, "the %s was revoked before the claimed time", who);
            set(out, LTS_IND_TOTAL_FAILED, LTS_SUB_REVOKED, why);
            return;
        }
        /* 2d. Otherwise nothing decides: INDETERMINATE/REVOKED_NO_POE. */
        snprintf(why, sizeof why, "the %s was revoked and nothing proves the object existed "
                 "before", who);
        set(out, LTS_IND_INDETERMINATE, LTS_SUB_REVOKED_NO_POE, why);
        return;
    }

    /* Step 3 (§5.6.2.x): "good" (or unknown) data shows the status at the control time only
     * when it was issued after it, or while it was still fresh (§5.2.5.4). */
    if (in->info.status != LTS_CERT_GOOD) {
        snprintf(why, sizeof why, "the revocation status of the %s is unknown", who);
        set(out, LTS_IND_INDETERMINATE, LTS_SUB_TRY_LATER, why);
        return;
    }
    /* 3a. Data issued after the certificate expired: the CA may have dropped the entry
     *     (RFC 5280 §3.3); it proves nothing (REVOCATION_OUT_OF_BOUNDS: EN 319 102-1 names
     *     it OUT_OF_BOUNDS_NOT_REVOKED when the data shows no revocation). Only when the
     *     control time is within the validity (a later expiry is the chain's business). */
    if (in->cert_not_after != 0 && in->issued > in->cert_not_after &&
        in->control_time <= in->cert_not_after) {
        snprintf(why, sizeof why, "the revocation data of the %s was issued after it expired",
                 who);
        set(out, LTS_IND_INDETERMINATE, LTS_SUB_OUT_OF_BOUNDS_NOT_REVOKED, why);
        return;
    }
    /* 3b. Issued at or after the control time: it covers it. */
    if (in->issued >= in->control_time)
        return;
    /* 3c. Issued before: fresh by the policy's maximum age, else by nextUpdate. */
    if (in->max_age > 0) {
        if (in->control_time - in->issued <= in->max_age)
            return;
        snprintf(why, sizeof why, "the revocation data of the %s is older than the policy's "
                 "max_revocation_age at the time of interest", who);
        set(out, LTS_IND_INDETERMINATE, LTS_SUB_TRY_LATER, why);
        return;
    }
    if (in->info.next_update == 0 || in->control_time <= in->info.next_update)
        return;
    snprintf(why, sizeof why, "the revocation data of the %s was no longer fresh at the time of "
             "interest (nextUpdate passed)", who);
    set(out, LTS_IND_INDETERMINATE, LTS_SUB_TRY_LATER, why);
}
