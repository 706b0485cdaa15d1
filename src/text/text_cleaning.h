// Caption cleaning before tokenisation: OpenCLIP's default clean='lower', without ftfy.
#pragma once

#include <string>
#include <string_view>

namespace clipscale::text {

/// OpenCLIP's default 'lower' cleaning without ftfy, step by step as Python does it:
///   1. decode UTF-8 (malformed bytes become U+FFFD, like `errors="replace"`);
///   2. `html.unescape` twice (see html_unescape.h), so "&amp;lt;" becomes "<";
///   3. `str.strip()`, collapse every run of `\s` to one space, `str.strip()` again;
///   4. `str.lower()` (full mapping: 'İ' -> "i̇", final 'Σ' -> 'ς').
/// Approximation: `ftfy.fix_text` is not applied, so text that ftfy would change differs from
/// OpenCLIP's: mojibake ("cafÃ©"), curly quotes (ftfy turns ’ into ', which changes how "it’s"
/// splits), NFC normalisation ("e" + U+0301 vs "é"), full-width forms and ligatures, control
/// characters. Clean ASCII and already-NFC text is unaffected.
std::string clean_text(std::string_view text);

/// clean_text() as code points, for callers that go on working with them (the tokenizer).
std::u32string clean_text_code_points(std::string_view text);

}  // namespace clipscale::text
