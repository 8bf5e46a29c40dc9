/* formats/pades: PAdES signing (EN 319 142-1 §5, ISO 32000-2 §12.8.1). see ltsig/pades.h */
#define LTS_MODULE "pades"
#include "pades_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stddef.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <ltsig/cades.h>
#include "core/digest.h"
#include "core/err.h"
#include "core/io.h"
#include "core/mem.h"

/* Room for "[0 a b c]" with three 20-digit numbers, padded with spaces. */
#define BR_WIDTH 68


static lts_status put_m(lts_buf *b, lts_time t)
{
    lts_status rc = LTS_OK;
    struct tm tm;
    time_t tt = (time_t)t;
    LTS_ENSURE(gmtime_r(&tt, &tm) != NULL, LTS_E_INPUT, "signing time out of range");
    LTS_TRY(lts_pades__putf(b, "/M (D:%04d%02d%02d%02d%02d%02d+00'00')", tm.tm_year + 1900,
                            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec));
out:
    return rc;
}

static lts_status write_sig_dict(lts_pdf_update *u, int num, const lts_pades_stage *o,
                                 size_t hex_n, lts_pades_layout *lay, lts_time when)
{
    lts_status rc = LTS_OK;
    LTS_TRY(lts_pades__upd_begin(u, num, 0));
    if (o->doc_ts) {
        /* ISO 32000-2 §12.8.5: the time is the token's genTime; no /M */
        LTS_TRY(lts_pades__putf(&u->b, "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite "
                                       "/SubFilter /ETSI.RFC3161"));
    } else {
        LTS_TRY(lts_pades__putf(&u->b, "<< /Type /Sig /Filter /Adobe.PPKLite "
                                       "/SubFilter /ETSI.CAdES.detached "));
        LTS_TRY(put_m(&u->b, when));
        /* ISO 32000-2 §12.8.2.2: a certification signature's DocMDP transform */
        if (o->certify)
            LTS_TRY(lts_pades__putf(&u->b, " /Reference [ << /Type /SigRef /TransformMethod "
                                           "/DocMDP /TransformParams << /Type /TransformParams "
                                           "/P %d /V /1.2 >> >> ]", o->certify));
    }
    if (o->reason) {
        LTS_TRY(lts_pades__putf(&u->b, " /Reason "));
        LTS_TRY(lts_pades__put_string(&u->b, o->reason));
    }
    if (o->location) {
        LTS_TRY(lts_pades__putf(&u->b, " /Location "));
        LTS_TRY(lts_pades__put_string(&u->b, o->location));
    }
    LTS_TRY(lts_pades__putf(&u->b, "\n/ByteRange "));
    lay->br_pos = u->b.n;
    LTS_TRY(lts_buf_reserve(&u->b, BR_WIDTH));
    memset(u->b.p + u->b.n, ' ', BR_WIDTH);
    memcpy(u->b.p + u->b.n, "[0 0 0 0]", 9);
    u->b.n += BR_WIDTH;
    LTS_TRY(lts_pades__putf(&u->b, "\n/Contents "));
    lay->contents_pos = u->b.n;
    lay->hex_n = hex_n;
    LTS_TRY(lts_buf_reserve(&u->b, hex_n + 2));
    u->b.p[u->b.n++] = '<';
    memset(u->b.p + u->b.n, '0', hex_n);
    u->b.n += hex_n;
    u->b.p[u->b.n++] = '>';
    LTS_TRY(lts_pades__putf(&u->b, "\n>>"));
    LTS_TRY(lts_pades__upd_end(u));
out:
    return rc;
}

lts_status lts_pades__build_sig_update(lts_pdf_update *u, lts_pdf *pdf,
                                      const lts_pades_stage *o, size_t hex_n,
                                      lts_pades_layout *lay)
{
    lts_status rc = LTS_OK;
    uint8_t id1[16];
    int sig_num;
    lts_time when = lts_clock_now(o->clock);

    LTS_OSSL(RAND_bytes(id1, sizeof id1) == 1, "RAND_bytes");
    LTS_TRY(lts_pades__upd_init(u, pdf));
    sig_num = lts_pades__upd_new_num(u);
    LTS_TRY(write_sig_dict(u, sig_num, o, hex_n, lay, when));
    LTS_TRY(lts_pades__add_sig_field(u, o->page, o->field_name,
                                     o->doc_ts ? "DocTimeStamp" : "Signature", sig_num, o,
                                     when));
    LTS_TRY(lts_pades__upd_finish(u, id1, sizeof id1));
out:
    return rc;
}

lts_status lts_pades__set_byte_range(lts_pdf_update *u, const lts_pades_layout *lay,
                                    lts_range *rg)
{
    lts_status rc = LTS_OK;
    char br[BR_WIDTH + 1];
    int k;
    rg[0].off = 0;
    rg[0].len = u->pdf->size + lay->contents_pos;
    rg[1].off = rg[0].len + lay->hex_n + 2;
    rg[1].len = u->pdf->size + u->b.n - rg[1].off;
    k = snprintf(br, sizeof br, "[0 %llu %llu %llu]", (unsigned long long)rg[0].len,
                 (unsigned long long)rg[1].off, (unsigned long long)rg[1].len);
    LTS_ENSURE(k > 0 && k <= BR_WIDTH, LTS_E_INTERNAL, "ByteRange does not fit");
    memcpy(u->b.p + lay->br_pos, br, (size_t)k);
out:
    return rc;
}

static lts_status pwrite_full(lts_afile *af, const void *p, size_t n, uint64_t off)
{
    lts_status rc = LTS_OK;
    const uint8_t *q = p;
    while (n > 0) {
        ssize_t w = pwrite(af->fd, q, n, (off_t)off);
        LTS_ENSURE(w > 0, LTS_E_IO, "%s: cannot write", af->path);
        q += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
out:
    return rc;
}

/* Bytes to reserve for the CMS: the chain, a signature value, the signed attributes, and
 * a timestamp token when one is asked for; never a small fixed default. */
static lts_status estimate(lts_signer *signer, const lts_pades_sign_opts *o, int cms_ts,
                           size_t *out)
{
    lts_status rc = LTS_OK;
    lts_buf *ders = NULL;
    size_t n = 0, sum = 0;
    if (o->contents_max > 0) {
        *out = o->contents_max;
        goto out;
    }
    LTS_TRY(lts_signer_chain_der(signer, &ders, &n));
    for (size_t i = 0; i < n; i++)
        sum += ders[i].n;
    sum += 1024 /* signature value */ + 2048 /* attributes, structure */ + 2048 /* margin */;
    if (cms_ts)
        sum += LTS_PADES_TS_RESERVE; /* signature-time-stamp token with the TSA chain */
    *out = sum;
out:
    lts_signer_chain_free(ders, n);
    return rc;
}

/* One attempt with `reserve` bytes for /Contents. *need gets the value's size when it did
 * not fit (the attempt is then abandoned and nothing is kept). On success *res holds the
 * complete, uncommitted output. */
static lts_status attempt(lts_pdf *pdf, const char *out_path, const lts_pades_stage *st,
                          size_t reserve, size_t *need, lts_afile *res)
{
    lts_status rc = LTS_OK;
    lts_pdf_update u;
    lts_afile af = LTS_AFILE_INIT;
    lts_pades_layout lay;
    lts_buf val = LTS_BUF_INIT, hex = LTS_BUF_INIT;
    lts_range rg[2];
    uint8_t dg[LTS_HASH_MAX];
    size_t dg_n = 0;
    unsigned int md_n = 0;
    const EVP_MD *md = lts_hash__md(st->hash);
    EVP_MD_CTX *ctx = NULL;

    memset(&u, 0, sizeof u);
    memset(&lay, 0, sizeof lay);
    *need = 0;
    LTS_TRY(lts_pades__build_sig_update(&u, pdf, st, 2 * reserve, &lay));
    LTS_TRY(lts_pades__set_byte_range(&u, &lay, rg));

    /* the /ByteRange digest is fed while copying: part 1 is the original plus the update's
     * bytes before the /Contents gap, part 2 lies inside the update (in memory) */
    LTS_ENSURE(md != NULL, LTS_E_INTERNAL, "unknown digest algorithm");
    LTS_ENSURE(rg[0].off == 0 && rg[0].len >= pdf->size && rg[1].off >= rg[0].len &&
                   rg[1].off - pdf->size + rg[1].len == u.b.n,
               LTS_E_INTERNAL, "ByteRange outside the update");
    LTS_ALLOC(ctx = EVP_MD_CTX_new());
    LTS_OSSL(EVP_DigestInit_ex(ctx, md, NULL) == 1, "EVP_DigestInit_ex");
    LTS_TRY(lts_io__afile_open(&af, out_path, 0));
    LTS_TRY(lts_pades__copy_original(pdf, &af, ctx));
    LTS_TRY(lts_io__afile_write(&af, u.b.p, u.b.n));
    LTS_OSSL(EVP_DigestUpdate(ctx, u.b.p, (size_t)(rg[0].len - pdf->size)) == 1,
             "EVP_DigestUpdate");
    LTS_OSSL(EVP_DigestUpdate(ctx, u.b.p + (rg[1].off - pdf->size), (size_t)rg[1].len) == 1,
             "EVP_DigestUpdate");
    LTS_OSSL(EVP_DigestFinal_ex(ctx, dg, &md_n) == 1, "EVP_DigestFinal_ex");
    dg_n = md_n;
    LTS_TRY(st->fill(st->fill_ctx, st->hash, lts_span_of(dg, dg_n), &val));
    if (val.n > reserve) {
        *need = val.n;
        goto out;
    }
    LTS_TRY(lts_pades__put_hexstr(&hex, val.p, val.n));
    /* "<hex>": write the digits only, the zeros of the placeholder stay as padding */
    LTS_TRY(pwrite_full(&af, hex.p + 1, hex.n - 2, pdf->size + lay.contents_pos + 1));
    *res = af;
    af.fd = -1;
    af.tmp = NULL;
    af.path = NULL;
out:
    EVP_MD_CTX_free(ctx);
    lts_io__afile_abort(&af);
    lts_pades__upd_dispose(&u);
    lts_buf_dispose(&val);
    lts_buf_dispose(&hex);
    return rc;
}

lts_status lts_pades__sig_stage(lts_pdf *pdf, const char *out_path, const lts_pades_stage *st,
                               lts_afile *res)
{
    lts_status rc = LTS_OK;
    size_t need = 0;
    LTS_TRY(attempt(pdf, out_path, st, st->reserve, &need, res));
    if (need > 0) {
        /* the estimate was short: once more with the measured size */
        LTS_TRY(attempt(pdf, out_path, st, need + 2048, &need, res));
        LTS_ENSURE(need == 0, LTS_E_INTERNAL, "the /Contents value grew from one try to the next");
    }
out:
    return rc;
}

typedef struct {
    lts_signer *signer;
    const lts_pades_sign_opts *o;
    int cms_ts;
} sig_fill_ctx;

static lts_status sig_fill(void *ctx, lts_hash h, lts_span digest, lts_buf *out)
{
    sig_fill_ctx *c = ctx;
    lts_cades_sign_opts co = LTS_CADES_SIGN_OPTS_INIT;
    co.level = c->cms_ts ? LTS_LEVEL_B_T : LTS_LEVEL_B_B;
    co.hash = h;
    co.scheme = c->o->scheme;
    co.detached = 1;
    co.no_signing_time = 1;
    co.tsa = c->cms_ts ? c->o->tsa : NULL;
    co.clock = c->o->clock;
    return lts_cades_sign_digest(out, c->signer, digest, &co);
}

/* 1 when a field of the document is signed already (a signature field with a value). */
static int has_signature(lts_pdf *pdf, qpdf_oh fields, int depth)
{
    int n = qpdf_oh_is_array(pdf->q, fields) ? qpdf_oh_get_array_n_items(pdf->q, fields) : 0;
    for (int i = 0; i < n && i < 20000 && depth < 16; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(pdf->q, fields, i);
        if (qpdf_oh_is_dictionary(pdf->q, qpdf_oh_get_key_if_dict(pdf->q, f, "/V")) &&
            qpdf_oh_has_key(pdf->q, qpdf_oh_get_key_if_dict(pdf->q, f, "/V"), "/ByteRange"))
            return 1;
        if (has_signature(pdf, qpdf_oh_get_key_if_dict(pdf->q, f, "/Kids"), depth + 1))
            return 1;
    }
    return 0;
}

/* The signer's common name (or the whole subject) for the visible appearance. */
static lts_status signer_name(lts_signer *signer, char **out)
{
    lts_status rc = LTS_OK;
    lts_buf *ders = NULL;
    size_t n = 0;
    X509 *x = NULL;
    char cn[256];
    const unsigned char *p;

    *out = NULL;
    LTS_TRY(lts_signer_chain_der(signer, &ders, &n));
    LTS_ENSURE(n > 0, LTS_E_INPUT, "the signer has no certificate");
    p = ders[0].p;
    LTS_OSSL((x = d2i_X509(NULL, &p, (long)ders[0].n)) != NULL, "signer certificate");
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
                                  sizeof cn) <= 0)
        X509_NAME_oneline(X509_get_subject_name(x), cn, sizeof cn);
    LTS_ALLOC(*out = lts_strdup(cn));
out:
    X509_free(x);
    lts_signer_chain_free(ders, n);
    return rc;
}

/* ISO 32000-2 §12.8.2.2: a document certified with /P 1 allows no change at all. */
static lts_status check_docmdp(lts_pdf *pdf)
{
    lts_status rc = LTS_OK;
    qpdf_oh perms = qpdf_oh_get_key(pdf->q, qpdf_get_root(pdf->q), "/Perms");
    qpdf_oh mdp = qpdf_oh_get_key_if_dict(pdf->q, perms, "/DocMDP");
    qpdf_oh refs = qpdf_oh_get_key_if_dict(pdf->q, mdp, "/Reference");
    int n = qpdf_oh_is_array(pdf->q, refs) ? qpdf_oh_get_array_n_items(pdf->q, refs) : 0;
    for (int i = 0; i < n && i < 64; i++) {
        qpdf_oh r = qpdf_oh_get_array_item(pdf->q, refs, i);
        qpdf_oh tp = qpdf_oh_get_key_if_dict(pdf->q, r, "/TransformParams");
        qpdf_oh p = qpdf_oh_get_key_if_dict(pdf->q, tp, "/P");
        if (qpdf_oh_is_name_and_equals(pdf->q, qpdf_oh_get_key_if_dict(pdf->q, r,
                                                                      "/TransformMethod"),
                                       "/DocMDP") &&
            qpdf_oh_is_integer(pdf->q, p) && qpdf_oh_get_int_value(pdf->q, p) == 1)
            LTS_FAIL(LTS_E_INPUT, "%s: the document is certified with no changes allowed "
                                  "(DocMDP /P 1): a signature cannot be added", pdf->path);
    }
out:
    return rc;
}

lts_status lts_pades_sign(lts_signer *signer, const char *in_path, const char *out_path,
                          const lts_pades_sign_opts *opts)
{
    lts_status rc = LTS_OK;
    lts_pdf pdf;
    lts_pades_sign_opts o;
    lts_pades_stage st;
    lts_afile bb = LTS_AFILE_INIT, fin = LTS_AFILE_INIT;
    sig_fill_ctx fc;
    char *name = NULL;

    memset(&pdf, 0, sizeof pdf);
    memset(&st, 0, sizeof st);
    pdf.fd = -1;
    LTS_ENSURE(signer && in_path && out_path && opts, LTS_E_CONFIG, "missing argument");
    LTS_ENSURE(opts->version >= 1, LTS_E_CONFIG, "PAdES options not initialised");
    if (opts->version >= 2) {
        o = *opts;
    } else {
        /* a caller built with version 1 has no certify / visible / rect members */
        memset(&o, 0, sizeof o);
        memcpy(&o, opts, offsetof(lts_pades_sign_opts, certify));
    }
    LTS_ENSURE(o.certify >= 0 && o.certify <= 3, LTS_E_CONFIG,
               "DocMDP permissions must be 1, 2 or 3 (not %d)", o.certify);
    if (o.level == 0)
        o.level = LTS_LEVEL_B_B;
    if (o.hash == LTS_HASH_NONE)
        o.hash = LTS_HASH_SHA256;
    LTS_ENSURE(o.hash != LTS_HASH_SHA1, LTS_E_UNSUPPORTED, "SHA-1 is not used to sign");
    LTS_ENSURE(o.level != LTS_LEVEL_ES_XL, LTS_E_UNSUPPORTED,
               "ES-XL is a CAdES/XAdES level; PAdES uses B-LT or ES-A");
    LTS_ENSURE(o.level == LTS_LEVEL_B_B || o.tsa != NULL, LTS_E_CONFIG,
               "PAdES level %s needs a timestamp authority", lts_level_name(o.level));
    LTS_ENSURE(strcmp(in_path, out_path) != 0, LTS_E_CONFIG,
               "%s: the output must not be the input", in_path);
    LTS_TRY(lts_pades__pdf_open(&pdf, in_path));
    LTS_TRY(check_docmdp(&pdf));
    LTS_ENSURE(!o.certify ||
                   !has_signature(&pdf, qpdf_oh_get_key_if_dict(
                                            pdf.q, qpdf_oh_get_key(pdf.q, qpdf_get_root(pdf.q),
                                                                   "/AcroForm"),
                                            "/Fields"), 0),
               LTS_E_CONFIG, "%s: a certification signature must be the first signature of "
                             "the document", in_path);
    if (o.visible)
        LTS_TRY(signer_name(signer, &name));
    fc.signer = signer;
    fc.o = &o;
    /* B-T and up: the signature-time-stamp goes into the CMS (EN 319 142-1 §6.3) */
    fc.cms_ts = o.level != LTS_LEVEL_B_B;
    st.hash = o.hash;
    st.clock = o.clock;
    st.field_name = o.field_name;
    st.page = o.page;
    st.reason = o.reason;
    st.location = o.location;
    st.fill = sig_fill;
    st.fill_ctx = &fc;
    st.certify = o.certify;
    st.visible = o.visible;
    memcpy(st.rect, o.rect, sizeof st.rect);
    st.signer_name = name;
    LTS_TRY(estimate(signer, &o, fc.cms_ts, &st.reserve));
    LTS_TRY(lts_pades__sig_stage(&pdf, out_path, &st, &bb));
    lts_pades__pdf_close(&pdf);
    if (o.level == LTS_LEVEL_B_B || o.level == LTS_LEVEL_B_T || o.level == LTS_LEVEL_ES_T) {
        LTS_TRY(lts_io__afile_commit(&bb));
        goto out;
    }
    LTS_TRY(lts_pades__extend_stages(bb.tmp, out_path, o.level, o.hash, o.tsa, o.vdata,
                                     o.trust_file, o.clock, &fin));
    LTS_TRY(lts_io__afile_commit(&fin));
out:
    lts_io__afile_abort(&fin);
    lts_io__afile_abort(&bb);
    lts_pades__pdf_close(&pdf);
    lts_free(name);
    return rc;
}
