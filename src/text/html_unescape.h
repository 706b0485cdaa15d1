// Python's html.unescape(), which OpenCLIP applies twice to every caption.
#pragma once

#include <string>
#include <string_view>

namespace clipscale::text {

/// Replaces character references like Python's `html.unescape`:
///  * numeric `&#NNN;` and `&#xHH;` (the ';' optional), with its fix-ups: 0 and values that are
///    surrogates or above U+10FFFF give U+FFFD, 0x80..0x9F are read as Windows-1252 (`&#150;` is
///    '–'), and control and non-character values are dropped;
///  * all 2,231 named references of HTML5 (`&amp; &lt; &gt; &quot; &apos; &nbsp; &eacute;
///    &hellip; &NotEqualTilde; ...`, names of up to 32 characters), and the legacy names that
///    also match without ';' and as a prefix (`&amp` and `&copy2021` work; `&apos` stays as is).
/// Unknown names and a lone '&' are kept. The tables come from Python's html module
/// (generate_tables.py), so the result equals html.unescape for every input.
std::u32string html_unescape(std::u32string_view text);

}  // namespace clipscale::text
