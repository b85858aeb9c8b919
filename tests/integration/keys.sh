#!/usr/bin/env bash
# Key commands with tpm2-tools 5.4 against vtpm-server (mssim), checked by openssl:
# tpm2_create -c (TPM2_CreateLoaded; tpm2-tools 5.4 has no tpm2_createloaded: tpm2_create
# with -c sends TPM2_CreateLoaded, under a storage key or a hierarchy), tpm2_rsaencrypt / tpm2_rsadecrypt (OAEP and
# PKCS#1 v1.5, with and against openssl), tpm2_encryptdecrypt (AES-128 CFB and CBC against
# openssl enc with the same key), tpm2_testparms. Objects move between invocations as saved
# contexts (-c file.ctx: TPM2_ContextSave / TPM2_ContextLoad).
source "$(dirname "$0")/lib.sh"

start_server --state "$WORK/state" $(server_args_for mssim)
use_tcti mssim
tpm2_startup -c
cd "$WORK"
step() {
    "$@"
    tpm2_flushcontext -t
}

step tpm2_createprimary -C o -G ecc256 -c srk.ctx >/dev/null

# --- TPM2_CreateLoaded (tpm2_create -c) ----------------------------------------------------
step tpm2_create -C srk.ctx -G rsa2048:rsassa-sha256 -u sig.pub -r sig.priv -c sig.ctx >/dev/null
[ -s sig.priv ] || fail "CreateLoaded under a storage key returns a private area"
step tpm2_readpublic -c sig.ctx -n sig.name -f pem -o sig.pem >/dev/null
step tpm2_load -C srk.ctx -u sig.pub -r sig.priv -c sig2.ctx -n sig2.name >/dev/null
check_eq "CreateLoaded: the private area loads to the same Name" "$(hexof sig2.name)" "$(hexof sig.name)"
printf 'message to sign' >msg
step tpm2_sign -c sig.ctx -g sha256 -f plain -o msg.sig msg
openssl dgst -sha256 -verify sig.pem -signature msg.sig msg >/dev/null || fail "openssl rejects the signature"
echo "ok: a CreateLoaded key's RSASSA signature verifies with openssl"
# Under a hierarchy: a primary object, the same key as tpm2_createprimary with the same template.
attrs='fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign'
step tpm2_create -C o -G ecc256:ecdsa-sha256 -a "$attrs" -u p1.pub -c p1.ctx >/dev/null
step tpm2_readpublic -c p1.ctx -n p1.name >/dev/null
step tpm2_createprimary -C o -G ecc256:ecdsa-sha256 -a "$attrs" -c p2.ctx >/dev/null
step tpm2_readpublic -c p2.ctx -n p2.name >/dev/null
check_eq "CreateLoaded under TPM_RH_OWNER = CreatePrimary with the same template" "$(hexof p2.name)" "$(hexof p1.name)"

# --- tpm2_rsaencrypt / tpm2_rsadecrypt ------------------------------------------------------
step tpm2_create -C srk.ctx -G rsa2048 -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt' \
    -u enc.pub -r enc.priv >/dev/null
step tpm2_load -C srk.ctx -u enc.pub -r enc.priv -c enc.ctx >/dev/null
step tpm2_readpublic -c enc.ctx -f pem -o enc.pem >/dev/null
printf 'a secret of thirty-two bytes....' >pt
# openssl encrypts, the TPM decrypts.
openssl pkeyutl -encrypt -pubin -inkey enc.pem -in pt -out ct.oaep \
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
step tpm2_rsadecrypt -c enc.ctx -s oaep -o dec.oaep ct.oaep
check_eq "rsadecrypt (OAEP-SHA256) of an openssl ciphertext" "$(hexof dec.oaep)" "$(hexof pt)"
openssl pkeyutl -encrypt -pubin -inkey enc.pem -in pt -out ct.pkcs1 -pkeyopt rsa_padding_mode:pkcs1
step tpm2_rsadecrypt -c enc.ctx -s rsaes -o dec.pkcs1 ct.pkcs1
check_eq "rsadecrypt (RSAES-PKCS1-v1_5) of an openssl ciphertext" "$(hexof dec.pkcs1)" "$(hexof pt)"
# With a label: OAEP's label must match on both sides.
openssl pkeyutl -encrypt -pubin -inkey enc.pem -in pt -out ct.label -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -pkeyopt rsa_oaep_label:$(printf 'mylabel\0' | od -An -tx1 | tr -d ' \n')
step tpm2_rsadecrypt -c enc.ctx -s oaep -l mylabel -o dec.label ct.label
check_eq "rsadecrypt (OAEP-SHA256, label) of an openssl ciphertext" "$(hexof dec.label)" "$(hexof pt)"
if tpm2_rsadecrypt -c enc.ctx -s oaep -l other -o bad.label ct.label 2>err.txt; then
    fail "rsadecrypt with the wrong label succeeded"
fi
tpm2_flushcontext -t
check_match "rsadecrypt with the wrong label: TPM_RC_VALUE" "$(cat err.txt)" "0x84\b|0x0*84\b"
# The TPM encrypts (random padding each time), the TPM decrypts; openssl cannot: no private key.
step tpm2_rsaencrypt -c enc.ctx -s oaep -o ct1 pt
step tpm2_rsaencrypt -c enc.ctx -s oaep -o ct2 pt
[ "$(hexof ct1)" != "$(hexof ct2)" ] || fail "two OAEP encryptions are equal"
step tpm2_rsadecrypt -c enc.ctx -s oaep -o back1 ct1
check_eq "rsaencrypt then rsadecrypt (OAEP)" "$(hexof back1)" "$(hexof pt)"
step tpm2_rsaencrypt -c enc.ctx -s rsaes -o ct3 pt
step tpm2_rsadecrypt -c enc.ctx -s rsaes -o back3 ct3
check_eq "rsaencrypt then rsadecrypt (RSAES)" "$(hexof back3)" "$(hexof pt)"
# An external public key: the TPM encrypts under it with OAEP, openssl (holding the private key) decrypts.
openssl genrsa -out ext.key 2048 2>/dev/null
openssl rsa -in ext.key -pubout -out ext.pem 2>/dev/null
step tpm2_loadexternal -C n -G rsa -u ext.pem -c ext.ctx >/dev/null
step tpm2_rsaencrypt -c ext.ctx -s oaep -o ext.ct pt
openssl pkeyutl -decrypt -inkey ext.key -in ext.ct -out ext.pt -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
check_eq "openssl decrypts the TPM's OAEP ciphertext" "$(hexof ext.pt)" "$(hexof pt)"

# --- tpm2_encryptdecrypt ----------------------------------------------------------------------
head -c 16 /dev/urandom >aes.key
head -c 16 /dev/urandom >iv
head -c 100 /dev/urandom >data
key_hex=$(hexof aes.key); iv_hex=$(hexof iv)
step tpm2_loadexternal -C n -G aes128cfb -r aes.key -c aes.ctx >/dev/null
step tpm2_encryptdecrypt -c aes.ctx -G cfb -t iv -o data.cfb data
openssl enc -aes-128-cfb -K "$key_hex" -iv "$iv_hex" -in data -out data.cfb.ossl
check_eq "encryptdecrypt AES-128-CFB = openssl" "$(hexof data.cfb)" "$(hexof data.cfb.ossl)"
step tpm2_encryptdecrypt -d -c aes.ctx -G cfb -t iv -o data.back data.cfb
check_eq "encryptdecrypt -d AES-128-CFB restores the data" "$(hexof data.back)" "$(hexof data)"
head -c 96 /dev/urandom >blocks
step tpm2_encryptdecrypt -c aes.ctx -G cbc -t iv -o blocks.cbc blocks
openssl enc -aes-128-cbc -nopad -K "$key_hex" -iv "$iv_hex" -in blocks -out blocks.cbc.ossl
check_eq "encryptdecrypt AES-128-CBC = openssl" "$(hexof blocks.cbc)" "$(hexof blocks.cbc.ossl)"
step tpm2_encryptdecrypt -c aes.ctx -G ecb -o blocks.ecb blocks
openssl enc -aes-128-ecb -nopad -K "$key_hex" -in blocks -out blocks.ecb.ossl
check_eq "encryptdecrypt AES-128-ECB = openssl" "$(hexof blocks.ecb)" "$(hexof blocks.ecb.ossl)"

# --- tpm2_testparms ---------------------------------------------------------------------------
for p in rsa1024 rsa2048 rsa3072 rsa4096 ecc192 ecc224 ecc256 ecc384 ecc521 aes128cfb aes256cbc \
         rsa2048:oaep rsa2048:rsapss ecc256:ecdsa-sha256 hmac:sha384 xor:sha256 keyedhash; do
    tpm2_testparms "$p" || fail "testparms $p"
done
echo "ok: testparms accepts what vtpm implements"
for p in rsa512 aes512; do
    if tpm2_testparms "$p" 2>/dev/null; then fail "testparms $p succeeded"; fi
done
echo "ok: testparms refuses what vtpm does not implement"
echo "all key checks passed"
