#include "convert/svg_render.h"

#include <cairo.h>
#include <librsvg/rsvg.h>

#include <memory>

#include "core/error.h"

namespace clipscale::convert {

std::vector<uint8_t> render_svg(const std::string& svg, int64_t size, const std::string& where) {
  CLIPSCALE_CHECK(size > 0 && size <= 4096);
  GError* error = nullptr;
  std::unique_ptr<RsvgHandle, void (*)(RsvgHandle*)> handle(
      rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), svg.size(), &error),
      [](RsvgHandle* h) { g_object_unref(h); });
  const auto fail = [&](const char* what) -> core::UserError {
    const std::string message = error != nullptr ? error->message : "unknown error";
    if (error != nullptr) g_error_free(error);
    return core::UserError(where + ": librsvg cannot " + what + " the SVG (" + message +
                           "). HINT: the icon is skipped; the rest of the set is rendered.");
  };
  if (handle == nullptr) throw fail("parse");
  std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> surface(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, static_cast<int>(size), static_cast<int>(size)),
      cairo_surface_destroy);
  std::unique_ptr<cairo_t, void (*)(cairo_t*)> cr(cairo_create(surface.get()), cairo_destroy);
  cairo_set_source_rgb(cr.get(), 1.0, 1.0, 1.0);
  cairo_paint(cr.get());
  const RsvgRectangle viewport{0.0, 0.0, static_cast<double>(size), static_cast<double>(size)};
  if (!rsvg_handle_render_document(handle.get(), cr.get(), &viewport, &error)) throw fail("render");
  cairo_surface_flush(surface.get());
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  std::vector<uint8_t> rgb(static_cast<size_t>(size * size * 3));
  for (int64_t y = 0; y < size; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + y * stride);
    for (int64_t x = 0; x < size; ++x) {
      // Opaque (painted white first), so the premultiplied ARGB words are plain RGB.
      const uint32_t px = row[x];
      uint8_t* out = &rgb[static_cast<size_t>((y * size + x) * 3)];
      out[0] = static_cast<uint8_t>(px >> 16);
      out[1] = static_cast<uint8_t>(px >> 8);
      out[2] = static_cast<uint8_t>(px);
    }
  }
  return rgb;
}

}  // namespace clipscale::convert
