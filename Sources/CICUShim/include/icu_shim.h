// A C face for the parts of ICU that Sluice uses. Debian's ICU headers rename every symbol with
// a version suffix (unorm2_normalize_72) that Swift cannot see, and Foundation's own ICU headers
// clash with them; this header uses only <stdint.h> types, and shim.c calls ICU.
#ifndef SLUICE_ICU_SHIM_H
#define SLUICE_ICU_SHIM_H
#include <stdint.h>

/// Normalization forms for `sluice_icu_normalize`.
enum { SLUICE_NFC = 0, SLUICE_NFD = 1, SLUICE_NFKC = 2, SLUICE_NFKD = 3, SLUICE_NFKC_CASEFOLD = 4 };

/// Normalizes UTF-8 `src` into `dst` (UTF-8). Returns the bytes needed (which may exceed `dstCap`:
/// call again with a larger buffer) or -1 with `*status` set to ICU's UErrorCode.
int32_t sluice_icu_normalize(int32_t form, const uint8_t *src, int32_t srcLen, uint8_t *dst, int32_t dstCap,
                             int32_t *status);
/// 1 when UTF-8 `src` is already in `form` (quick check, falling back to a full check), else 0; -1 on error.
int32_t sluice_icu_is_normalized(int32_t form, const uint8_t *src, int32_t srcLen, int32_t *status);
/// Full Unicode case folding of UTF-8 `src` into `dst`; returns bytes needed, or -1.
int32_t sluice_icu_fold_case(const uint8_t *src, int32_t srcLen, uint8_t *dst, int32_t dstCap, int32_t *status);

/// A word-break iterator (ICU UBRK_WORD over UTF-8 text, boundaries in UTF-8 byte offsets).
/// One per thread; not thread safe. `locale` may be "" for the root locale.
void *sluice_icu_wordbreak_open(const char *locale, int32_t *status);
/// Points the iterator at `text` (not copied: it must outlive the iteration).
void sluice_icu_wordbreak_set_text(void *it, const uint8_t *text, int64_t length, int32_t *status);
/// Next boundary as a byte offset, or -1 at the end. `*ruleStatus` gets ICU's rule status of the
/// segment that ends there: 0..99 none (spaces, punctuation), 100..199 number, 200..299 letter,
/// 300..399 kana, 400..499 ideographic.
int64_t sluice_icu_wordbreak_next(void *it, int32_t *ruleStatus);
void sluice_icu_wordbreak_close(void *it);

/// ICU UScriptCode of a code point (0 common, 1 inherited, 25 Latin, …); -1 on error.
int32_t sluice_icu_script(uint32_t codePoint);
/// Short name of a UScriptCode ("Latn", "Hani", …), or NULL.
const char *sluice_icu_script_short_name(int32_t script);
/// Long name of a UScriptCode ("Latin", "Han", …), or NULL.
const char *sluice_icu_script_name(int32_t script);
/// ICU general category (UCharCategory: 1..5 letters Lu Ll Lt Lm Lo, 6..8 marks, 9..11 numbers Nd Nl No,
/// 12..14 separators, 15..19 Cc Cf Co Cs, 20..29 punctuation and symbols).
int32_t sluice_icu_char_type(uint32_t codePoint);
/// 1 if the code point has the White_Space property.
int32_t sluice_icu_is_whitespace(uint32_t codePoint);
/// 1 if alphabetic (Alphabetic property).
int32_t sluice_icu_is_alphabetic(uint32_t codePoint);

/// Guesses the charset of `bytes` with ICU's detector. Writes its name (NUL-terminated) into
/// `name` and returns the confidence 0..100, or -1 when nothing matched.
int32_t sluice_icu_detect_charset(const uint8_t *bytes, int32_t length, char *name, int32_t nameCap, int32_t *status);
/// Converts `src` from `charset` to UTF-8 (invalid sequences become U+FFFD). Returns bytes
/// needed (call again when larger than `dstCap`) or -1; U_FILE_ACCESS_ERROR (4) for an unknown charset.
int32_t sluice_icu_to_utf8(const char *charset, const uint8_t *src, int32_t srcLen, uint8_t *dst, int32_t dstCap,
                           int32_t *status);
/// The ICU version, "72.1".
const char *sluice_icu_version(void);

#endif
