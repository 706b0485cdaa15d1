#include "config/source.h"

namespace clipscale::config {

std::string Source::describe() const {
  switch (kind) {
    case Kind::kDefault: return "default";
    case Kind::kFile: return line > 0 ? file + ":" + std::to_string(line) : file;
    case Kind::kOverride: return text.empty() ? "--set" : "--set " + text;
  }
  return "unknown";
}

bool operator==(const Source& a, const Source& b) {
  return a.kind == b.kind && a.file == b.file && a.line == b.line && a.text == b.text;
}

}  // namespace clipscale::config
