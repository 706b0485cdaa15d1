#include "text/byte_encoder.h"

#include <array>

#include "core/error.h"
#include "text/utf8.h"

namespace clipscale::text {
namespace {

bool is_printable(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct ByteTable {
  std::array<char32_t, 256> code_point{};
  std::array<int, 256> position{};
  std::array<uint8_t, 256> byte_at{};
  std::array<std::string, 256> symbol;
  std::array<int16_t, 512> byte_of_code_point{};  // code points 0..511; all mapped ones are below

  ByteTable() {
    byte_of_code_point.fill(-1);
    int next = 0;
    // Python: bs = printable bytes in order, then every other byte in ascending order.
    for (int b = 0; b < 256; ++b) {
      if (is_printable(b)) {
        code_point[b] = static_cast<char32_t>(b);
        byte_at[next] = static_cast<uint8_t>(b);
        position[b] = next++;
      }
    }
    int remapped = 0;
    for (int b = 0; b < 256; ++b) {
      if (!is_printable(b)) {
        code_point[b] = static_cast<char32_t>(256 + remapped++);
        byte_at[next] = static_cast<uint8_t>(b);
        position[b] = next++;
      }
    }
    for (int b = 0; b < 256; ++b) {
      byte_of_code_point[code_point[b]] = static_cast<int16_t>(b);
      append_utf8(code_point[b], symbol[b]);
    }
  }
};

const ByteTable& table() {
  static const ByteTable kTable;
  return kTable;
}

}  // namespace

char32_t byte_to_code_point(uint8_t byte) { return table().code_point[byte]; }

int code_point_to_byte(char32_t cp) { return cp < 512 ? table().byte_of_code_point[cp] : -1; }

int byte_vocab_position(uint8_t byte) { return table().position[byte]; }

uint8_t byte_at_vocab_position(int position) {
  CLIPSCALE_CHECK(position >= 0 && position < kNumByteSymbols) << "position " << position;
  return table().byte_at[static_cast<size_t>(position)];
}

const std::string& byte_symbol(uint8_t byte) { return table().symbol[byte]; }

std::string bytes_to_symbols(std::string_view bytes) {
  const ByteTable& t = table();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.symbol[static_cast<uint8_t>(c)];
  return out;
}

std::string symbols_to_bytes(std::string_view symbols) {
  std::string out;
  out.reserve(symbols.size());
  for (char32_t cp : decode_utf8(symbols)) {
    const int b = code_point_to_byte(cp);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
    } else {
      append_utf8(cp, out);
    }
  }
  return out;
}

}  // namespace clipscale::text
