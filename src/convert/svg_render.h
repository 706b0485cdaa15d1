// Rendering SVG documents to RGB pixels in-process with librsvg + cairo (for the icon pool).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipscale::convert {

/// Renders `svg` (a complete SVG document) into a size × size image on a white background, the
/// document's viewBox fitted and centred (preserveAspectRatio's default). Returns size × size × 3
/// RGB bytes. External references are not loaded. Throws core::UserError naming `where` when
/// librsvg cannot parse or render the document. Safe to call from several threads at once.
std::vector<uint8_t> render_svg(const std::string& svg, int64_t size, const std::string& where);

}  // namespace clipscale::convert
