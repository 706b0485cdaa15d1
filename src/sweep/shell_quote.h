// Shell quoting for everything that reaches a generated script, and the @NAME@ templates those
// scripts are rendered from (slurm/*.sbatch.in). A value from a sweep file or the command line
// (a sweep name, a path) with spaces, quotes, $(...), backticks or ';' stays one literal word.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace clipscale::sweep {

/// `text` as one POSIX shell word, the effect of bash's printf %q: words made only of
/// [A-Za-z0-9_./:=@%+,-] (and not empty) stay as they are, everything else is single-quoted
/// with each ' written as '\'' :
///   run-1 → run-1 · "a b" → 'a b' · it's → 'it'\''s' · $(rm -rf ~) → '$(rm -rf ~)' · "" → ''
std::string shell_quote(std::string_view text);

/// Replaces every @NAME@ (NAME: capital letters, digits, '_') in `template_text` by
/// shell_quote(values.at(NAME)), so a value can only ever be one word. A placeholder without a
/// value throws core::UserError naming `origin`, the line and the known names; "@@" stands for
/// a literal '@'.
std::string render_script(std::string_view template_text, const std::map<std::string, std::string>& values,
                          const std::string& origin);

}  // namespace clipscale::sweep
