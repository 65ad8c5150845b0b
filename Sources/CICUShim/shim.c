// ICU calls behind icu_shim.h. Text crosses this boundary as UTF-8; UTF-16 buffers live only here.
// Small inputs use a stack buffer; large ones are allocated per call (callers batch by document).
#include "icu_shim.h"
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/uversion.h>

static const UNormalizer2 *normalizer(int32_t form, UErrorCode *err) {
    switch (form) {
    case SLUICE_NFC: return unorm2_getNFCInstance(err);
    case SLUICE_NFD: return unorm2_getNFDInstance(err);
    case SLUICE_NFKC: return unorm2_getNFKCInstance(err);
    case SLUICE_NFKD: return unorm2_getNFKDInstance(err);
    case SLUICE_NFKC_CASEFOLD: return unorm2_getNFKCCasefoldInstance(err);
    default: *err = U_ILLEGAL_ARGUMENT_ERROR; return NULL;
    }
}

// UTF-8 → freshly allocated UTF-16 (caller frees). Invalid bytes become U+FFFD.
static UChar *to_utf16(const uint8_t *src, int32_t len, int32_t *outLen, UErrorCode *err) {
    int32_t cap = len + 1;
    UChar *buf = (UChar *)malloc(sizeof(UChar) * (size_t)cap);
    if (!buf) { *err = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    u_strFromUTF8WithSub(buf, cap, outLen, (const char *)src, len, 0xFFFD, NULL, err);
    return buf;
}

static int32_t from_utf16(const UChar *src, int32_t len, uint8_t *dst, int32_t dstCap, UErrorCode *err) {
    int32_t needed = 0;
    u_strToUTF8WithSub((char *)dst, dstCap, &needed, src, len, 0xFFFD, NULL, err);
    if (*err == U_BUFFER_OVERFLOW_ERROR || *err == U_STRING_NOT_TERMINATED_WARNING) *err = U_ZERO_ERROR;
    return U_FAILURE(*err) ? -1 : needed;
}

int32_t sluice_icu_normalize(int32_t form, const uint8_t *src, int32_t srcLen, uint8_t *dst, int32_t dstCap,
                             int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *n = normalizer(form, &err);
    int32_t len16 = 0;
    UChar *in = U_SUCCESS(err) ? to_utf16(src, srcLen, &len16, &err) : NULL;
    if (U_FAILURE(err)) { free(in); *status = err; return -1; }
    // Normalization can grow text (NFKD of U+FDFA is 18 code units), so size the output first.
    int32_t cap = len16 * 3 + 16;
    UChar *out = (UChar *)malloc(sizeof(UChar) * (size_t)cap);
    int32_t outLen = unorm2_normalize(n, in, len16, out, cap, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
        err = U_ZERO_ERROR;
        free(out);
        cap = outLen + 1;
        out = (UChar *)malloc(sizeof(UChar) * (size_t)cap);
        outLen = unorm2_normalize(n, in, len16, out, cap, &err);
    }
    free(in);
    int32_t result = U_SUCCESS(err) ? from_utf16(out, outLen, dst, dstCap, &err) : -1;
    free(out);
    *status = err;
    return result;
}

int32_t sluice_icu_is_normalized(int32_t form, const uint8_t *src, int32_t srcLen, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *n = normalizer(form, &err);
    int32_t len16 = 0;
    UChar *in = U_SUCCESS(err) ? to_utf16(src, srcLen, &len16, &err) : NULL;
    UBool ok = U_SUCCESS(err) ? unorm2_isNormalized(n, in, len16, &err) : 0;
    free(in);
    *status = err;
    return U_FAILURE(err) ? -1 : (ok ? 1 : 0);
}

int32_t sluice_icu_fold_case(const uint8_t *src, int32_t srcLen, uint8_t *dst, int32_t dstCap, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    int32_t len16 = 0;
    UChar *in = to_utf16(src, srcLen, &len16, &err);
    if (U_FAILURE(err)) { free(in); *status = err; return -1; }
    int32_t cap = len16 * 3 + 16;
    UChar *out = (UChar *)malloc(sizeof(UChar) * (size_t)cap);
    int32_t outLen = u_strFoldCase(out, cap, in, len16, U_FOLD_CASE_DEFAULT, &err);
    free(in);
    int32_t result = U_SUCCESS(err) ? from_utf16(out, outLen, dst, dstCap, &err) : -1;
    free(out);
    *status = err;
    return result;
}

// MARK: - Word breaks

typedef struct {
    UBreakIterator *brk;
    UText *text;
} WordBreak;

void *sluice_icu_wordbreak_open(const char *locale, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    WordBreak *w = (WordBreak *)calloc(1, sizeof(WordBreak));
    w->brk = ubrk_open(UBRK_WORD, locale, NULL, 0, &err);
    *status = err;
    if (U_FAILURE(err)) { free(w); return NULL; }
    return w;
}

void sluice_icu_wordbreak_set_text(void *it, const uint8_t *text, int64_t length, int32_t *status) {
    WordBreak *w = (WordBreak *)it;
    UErrorCode err = U_ZERO_ERROR;
    w->text = utext_openUTF8(w->text, (const char *)text, length, &err);
    if (U_SUCCESS(err)) ubrk_setUText(w->brk, w->text, &err);
    *status = err;
}

int64_t sluice_icu_wordbreak_next(void *it, int32_t *ruleStatus) {
    WordBreak *w = (WordBreak *)it;
    int32_t b = ubrk_next(w->brk);
    if (b == UBRK_DONE) return -1;
    *ruleStatus = ubrk_getRuleStatus(w->brk);
    return b;
}

void sluice_icu_wordbreak_close(void *it) {
    WordBreak *w = (WordBreak *)it;
    if (!w) return;
    ubrk_close(w->brk);
    if (w->text) utext_close(w->text);
    free(w);
}

// MARK: - Character properties

int32_t sluice_icu_script(uint32_t codePoint) {
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode s = uscript_getScript((UChar32)codePoint, &err);
    return U_FAILURE(err) ? -1 : (int32_t)s;
}
const char *sluice_icu_script_short_name(int32_t script) { return uscript_getShortName((UScriptCode)script); }
const char *sluice_icu_script_name(int32_t script) { return uscript_getName((UScriptCode)script); }
int32_t sluice_icu_char_type(uint32_t codePoint) { return (int32_t)u_charType((UChar32)codePoint); }
int32_t sluice_icu_is_whitespace(uint32_t codePoint) { return u_isUWhiteSpace((UChar32)codePoint) ? 1 : 0; }
int32_t sluice_icu_is_alphabetic(uint32_t codePoint) { return u_isUAlphabetic((UChar32)codePoint) ? 1 : 0; }

// MARK: - Charsets

int32_t sluice_icu_detect_charset(const uint8_t *bytes, int32_t length, char *name, int32_t nameCap, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    UCharsetDetector *d = ucsdet_open(&err);
    int32_t confidence = -1;
    if (U_SUCCESS(err)) ucsdet_setText(d, (const char *)bytes, length, &err);
    const UCharsetMatch *m = U_SUCCESS(err) ? ucsdet_detect(d, &err) : NULL;
    if (m && U_SUCCESS(err)) {
        const char *n = ucsdet_getName(m, &err);
        confidence = ucsdet_getConfidence(m, &err);
        if (n && nameCap > 0) {
            strncpy(name, n, (size_t)nameCap - 1);
            name[nameCap - 1] = 0;
        }
    }
    if (d) ucsdet_close(d);
    *status = err;
    return U_FAILURE(err) ? -1 : confidence;
}

int32_t sluice_icu_to_utf8(const char *charset, const uint8_t *src, int32_t srcLen, uint8_t *dst, int32_t dstCap,
                           int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = ucnv_convert("UTF-8", charset, (char *)dst, dstCap, (const char *)src, srcLen, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR || err == U_STRING_NOT_TERMINATED_WARNING) err = U_ZERO_ERROR;
    *status = err;
    return U_FAILURE(err) ? -1 : n;
}

const char *sluice_icu_version(void) { return U_ICU_VERSION; }
