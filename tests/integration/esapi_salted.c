/* tpm2-tss ESAPI (Debian's libtss2-esys) against vtpm-server: salted HMAC sessions with
 * parameter encryption, end to end.
 *
 *   esapi_salted TCTI-CONFIG        e.g. "mssim:host=127.0.0.1,port=2321"
 *
 * For an RSA and an ECC storage primary as tpmKey: StartAuthSession (salted, AES-128-CFB),
 * session attributes decrypt|encrypt|continueSession; Create of a sealed object whose
 * inSensitive (authValue and data) travels encrypted; Load; Unseal whose outData travels
 * encrypted; GetRandom with an encrypted response; a wrong authValue through the session.
 * ESAPI computes the salt, session key, HMACs and the parameter encryption itself and checks
 * every response HMAC, so any disagreement with the TPM fails a call.
 * Exit 0 when everything holds; 1 with a message otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#define CHECK(call)                                                                             \
    do {                                                                                        \
        TSS2_RC rc_ = (call);                                                                   \
        if (rc_ != TSS2_RC_SUCCESS) {                                                           \
            fprintf(stderr, "FAIL: %s at line %d: 0x%x (%s)\n", #call, __LINE__, rc_, Tss2_RC_Decode(rc_)); \
            exit(1);                                                                            \
        }                                                                                       \
    } while (0)

static ESYS_TR create_primary(ESYS_CONTEXT *ctx, TPMI_ALG_PUBLIC type) {
    TPM2B_SENSITIVE_CREATE sens = {0};
    TPM2B_PUBLIC pub = {0};
    pub.publicArea.type = type;
    pub.publicArea.nameAlg = TPM2_ALG_SHA256;
    pub.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
    if (type == TPM2_ALG_RSA) {
        TPMS_RSA_PARMS *p = &pub.publicArea.parameters.rsaDetail;
        p->symmetric.algorithm = TPM2_ALG_AES;
        p->symmetric.keyBits.aes = 128;
        p->symmetric.mode.aes = TPM2_ALG_CFB;
        p->scheme.scheme = TPM2_ALG_NULL;
        p->keyBits = 2048;
        p->exponent = 0;
    } else {
        TPMS_ECC_PARMS *p = &pub.publicArea.parameters.eccDetail;
        p->symmetric.algorithm = TPM2_ALG_AES;
        p->symmetric.keyBits.aes = 128;
        p->symmetric.mode.aes = TPM2_ALG_CFB;
        p->scheme.scheme = TPM2_ALG_NULL;
        p->curveID = TPM2_ECC_NIST_P256;
        p->kdf.scheme = TPM2_ALG_NULL;
    }
    TPM2B_DATA outside = {0};
    TPML_PCR_SELECTION pcrs = {0};
    ESYS_TR h = ESYS_TR_NONE;
    CHECK(Esys_CreatePrimary(ctx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &pub,
                             &outside, &pcrs, &h, NULL, NULL, NULL, NULL));
    return h;
}

static void salted_round_trip(ESYS_CONTEXT *ctx, TPMI_ALG_PUBLIC type, const char *what) {
    ESYS_TR primary = create_primary(ctx, type);
    TPMT_SYM_DEF sym = {.algorithm = TPM2_ALG_AES, .keyBits = {.aes = 128}, .mode = {.aes = TPM2_ALG_CFB}};
    ESYS_TR session = ESYS_TR_NONE;
    CHECK(Esys_StartAuthSession(ctx, primary, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
                                TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256, &session));
    CHECK(Esys_TRSess_SetAttributes(ctx, session,
                                    TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION, 0xff));

    /* Create: inSensitive (the first parameter) is encrypted by the session. */
    const char secret[] = "ESAPI salted session secret";
    const char objpw[] = "object-password";
    TPM2B_SENSITIVE_CREATE sens = {0};
    sens.sensitive.userAuth.size = (UINT16)strlen(objpw);
    memcpy(sens.sensitive.userAuth.buffer, objpw, strlen(objpw));
    sens.sensitive.data.size = (UINT16)strlen(secret);
    memcpy(sens.sensitive.data.buffer, secret, strlen(secret));
    TPM2B_PUBLIC pub = {0};
    pub.publicArea.type = TPM2_ALG_KEYEDHASH;
    pub.publicArea.nameAlg = TPM2_ALG_SHA256;
    pub.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH;
    pub.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
    TPM2B_DATA outside = {0};
    TPML_PCR_SELECTION pcrs = {0};
    TPM2B_PRIVATE *out_priv = NULL;
    TPM2B_PUBLIC *out_pub = NULL;
    CHECK(Esys_Create(ctx, primary, session, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &pub, &outside, &pcrs, &out_priv,
                      &out_pub, NULL, NULL, NULL));
    ESYS_TR obj = ESYS_TR_NONE;
    CHECK(Esys_Load(ctx, primary, session, ESYS_TR_NONE, ESYS_TR_NONE, out_priv, out_pub, &obj));
    Esys_Free(out_priv);
    Esys_Free(out_pub);

    /* Unseal: outData (the first response parameter) is encrypted by the session. */
    TPM2B_AUTH auth = {0};
    auth.size = (UINT16)strlen(objpw);
    memcpy(auth.buffer, objpw, strlen(objpw));
    CHECK(Esys_TR_SetAuth(ctx, obj, &auth));
    TPM2B_SENSITIVE_DATA *data = NULL;
    CHECK(Esys_Unseal(ctx, obj, session, ESYS_TR_NONE, ESYS_TR_NONE, &data));
    if (data->size != strlen(secret) || memcmp(data->buffer, secret, data->size) != 0) {
        fprintf(stderr, "FAIL: %s: unsealed data differs\n", what);
        exit(1);
    }
    Esys_Free(data);
    printf("ok: %s-salted session: Create (decrypt) and Unseal (encrypt)\n", what);

    /* GetRandom with only response encryption. */
    CHECK(Esys_TRSess_SetAttributes(ctx, session, TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION, 0xff));
    TPM2B_DIGEST *r1 = NULL, *r2 = NULL;
    CHECK(Esys_GetRandom(ctx, session, ESYS_TR_NONE, ESYS_TR_NONE, 32, &r1));
    CHECK(Esys_GetRandom(ctx, session, ESYS_TR_NONE, ESYS_TR_NONE, 32, &r2));
    if (r1->size != 32 || r2->size != 32 || memcmp(r1->buffer, r2->buffer, 32) == 0) {
        fprintf(stderr, "FAIL: %s: GetRandom answers\n", what);
        exit(1);
    }
    Esys_Free(r1);
    Esys_Free(r2);
    printf("ok: %s-salted session: GetRandom (encrypt)\n", what);

    /* A wrong authValue through the salted session: the TPM refuses (DA-protected object). */
    CHECK(Esys_TRSess_SetAttributes(ctx, session, TPMA_SESSION_CONTINUESESSION, 0xff));
    TPM2B_AUTH wrong = {.size = 5, .buffer = "wrong"};
    CHECK(Esys_TR_SetAuth(ctx, obj, &wrong));
    TSS2_RC rc = Esys_Unseal(ctx, obj, session, ESYS_TR_NONE, ESYS_TR_NONE, &data);
    if ((rc & ~TPM2_RC_N_MASK) != TPM2_RC_AUTH_FAIL) {
        fprintf(stderr, "FAIL: %s: unseal with a wrong authValue gave 0x%x (%s)\n", what, rc, Tss2_RC_Decode(rc));
        exit(1);
    }
    printf("ok: %s-salted session: a wrong authValue is TPM_RC_AUTH_FAIL\n", what);

    CHECK(Esys_FlushContext(ctx, obj));
    CHECK(Esys_FlushContext(ctx, session));
    CHECK(Esys_FlushContext(ctx, primary));
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: esapi_salted TCTI-CONFIG\n");
        return 2;
    }
    TSS2_TCTI_CONTEXT *tcti = NULL;
    CHECK(Tss2_TctiLdr_Initialize(argv[1], &tcti));
    ESYS_CONTEXT *ctx = NULL;
    CHECK(Esys_Initialize(&ctx, tcti, NULL));
    TSS2_RC rc = Esys_Startup(ctx, TPM2_SU_CLEAR);
    if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE) CHECK(rc);
    salted_round_trip(ctx, TPM2_ALG_RSA, "RSA");
    salted_round_trip(ctx, TPM2_ALG_ECC, "ECC");
    Esys_Finalize(&ctx);
    Tss2_TctiLdr_Finalize(&tcti);
    printf("PASS: esapi_salted\n");
    return 0;
}
