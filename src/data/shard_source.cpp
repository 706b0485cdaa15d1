#include "data/shard_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "data/image_codec.h"
#include "data/image_transform.h"
#include "data/tar_index.h"
#include "text/utf8.h"

namespace clipscale::data {
namespace {

/// Full messages for the first few problems of a pool; the rest are only counted.
constexpr uint64_t kMaxOpenWarnings = 10;

/// An absolute path, a ".." component or a control character: such a name is never used as a
/// path by clipscale (members are read by offset), but a tool that extracts the shard would write
/// outside its directory, so the sample is not trusted.
bool unsafe_member_name(const std::string& name) {
  if (name.empty() || name[0] == '/' || name[0] == '\\') return true;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return true;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return true;
    start = end + 1;
  }
  return false;
}

/// WebDataset's key/extension split: the key ends at the first '.' of the last path component.
void split_key(const std::string& name, std::string* key, std::string* ext) {
  const size_t slash = name.find_last_of('/');
  const size_t base = slash == std::string::npos ? 0 : slash + 1;
  const size_t dot = name.find('.', base);
  if (dot == std::string::npos || dot == base) {
    *key = name;
    ext->clear();
    return;
  }
  *key = name.substr(0, dot);
  *ext = name.substr(dot + 1);
  for (char& c : *ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool is_image_ext(const std::string& ext) { return ext == "jpg" || ext == "jpeg" || ext == "png"; }

/// Closes a file descriptor on scope exit.
class ShardFile {
 public:
  explicit ShardFile(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0)
      throw core::UserError("shard " + path + " cannot be opened: " + std::strerror(errno) +
                            ". HINT: it was readable when the pool was opened; check the file system.");
  }
  ~ShardFile() { ::close(fd_); }
  ShardFile(const ShardFile&) = delete;
  ShardFile& operator=(const ShardFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

ShardSource::ShardSource(ShardSourceOptions options) : options_(std::move(options)) {
  CLIPSCALE_CHECK_GT(options_.image_size, 0);
  CLIPSCALE_CHECK(!options_.shards.empty()) << "a shard pool needs at least one shard";
  CLIPSCALE_CHECK_LT(options_.shards.size(), size_t{UINT32_MAX});
  for (uint32_t s = 0; s < options_.shards.size() && samples_.size() < options_.max_samples; ++s) index_shard(s);
  if (warnings_ > kMaxOpenWarnings)
    spdlog::warn("{}: {} more problems not shown; left out of the pool: {}", options_.pattern,
                 warnings_ - kMaxOpenWarnings, excluded_.summary());
  if (samples_.empty())
    throw core::UserError("data.source = \"shards:" + options_.pattern + "\" holds no usable sample in " +
                          std::to_string(options_.shards.size()) + " shards (left out: " + excluded_.summary() +
                          "). HINT: samples are key.jpg|jpeg|png + key.txt members of plain tar files; "
                          "`clipscale data synth --out DIR --samples 1000` writes a valid example.");
}

void ShardSource::index_shard(uint32_t shard) {
  const std::string& path = options_.shards[shard];
  const TarIndex index = load_tar_index(path, options_.write_index_cache);
  auto leave_out = [&](SkipReason reason, const std::string& message) {
    excluded_.add(reason);
    if (++warnings_ <= kMaxOpenWarnings) spdlog::warn("{}", message);
  };
  if (index.truncated)
    leave_out(SkipReason::kTruncated,
              fmt::format("shard {} is damaged or ends early ({}); the {} members before that are used. "
                          "HINT: re-create or re-download the shard.",
                          path, index.problem, index.members.size()));
  const auto& members = index.members;
  std::string key, ext, next_key;
  size_t i = 0;
  while (i < members.size() && samples_.size() < options_.max_samples) {
    split_key(members[i].name, &key, &ext);
    size_t end = i + 1;
    for (; end < members.size(); ++end) {
      split_key(members[end].name, &next_key, &ext);
      if (next_key != key) break;
    }
    Sample sample;
    sample.shard = shard;
    sample.key = key;
    bool unsafe = false, has_image = false, has_text = false;
    std::string found;
    for (size_t m = i; m < end; ++m) {
      split_key(members[m].name, &next_key, &ext);
      unsafe = unsafe || unsafe_member_name(members[m].name);
      found += (found.empty() ? "" : ", ") + members[m].name;
      const Member member{members[m].offset, members[m].size};
      if (is_image_ext(ext) && !has_image) {
        sample.image = member;
        sample.image_ext = ext;
        has_image = true;
      } else if (ext == "txt" && !has_text) {
        sample.text = member;
        has_text = true;
      } else if (ext == "json" && sample.json.size == 0) {
        sample.json = member;
      }
    }
    i = end;
    if (unsafe) {
      leave_out(
          SkipReason::kUnsafeName,
          fmt::format("shard {}: sample \"{}\" is left out: a member name is an absolute path, has a '..' "
                      "component or a control character ({}). HINT: rewrite the shard with relative member names.",
                      path, key, found));
    } else if (!has_image) {
      leave_out(SkipReason::kNoImage,
                fmt::format("shard {}: sample \"{}\" is left out: it has no .jpg, .jpeg or .png member (found {}). "
                            "HINT: WebDataset samples are key.jpg|png + key.txt.",
                            path, key, found));
    } else if (!has_text) {
      leave_out(SkipReason::kNoCaption,
                fmt::format("shard {}: sample \"{}\" is left out: it has no .txt caption (found {}). "
                            "HINT: WebDataset samples are key.jpg|png + key.txt.",
                            path, key, found));
    } else {
      samples_.push_back(std::move(sample));
    }
  }
}

std::string ShardSource::read_member(const Sample& sample, const Member& member, const std::string& ext, uint64_t limit,
                                     SkipReason too_large) const {
  const std::string& path = options_.shards[sample.shard];
  const std::string where = "shard " + path + " member " + sample.key + "." + ext;
  if (member.size > limit)
    throw BadSampleError(too_large, fmt::format("{}: {} bytes, over the limit of {} bytes. HINT: shrink or drop the "
                                                "sample when making the shards.",
                                                where, member.size, limit));
  const ShardFile file(path);
  std::string bytes(member.size, '\0');
  size_t done = 0;
  while (done < member.size) {
    const ssize_t r =
        ::pread(file.fd(), bytes.data() + done, member.size - done, static_cast<off_t>(member.offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  if (done < member.size)
    throw BadSampleError(SkipReason::kTruncated,
                         fmt::format("{}: the shard ends {} bytes before the member does; it changed after it was "
                                     "indexed. HINT: delete {} to re-index it.",
                                     where, member.size - done, tar_index_path(path)));
  return bytes;
}

std::string ShardSource::read_caption(const Sample& sample) const {
  std::string caption = read_member(sample, sample.text, "txt", kMaxCaptionBytes, SkipReason::kBadCaption);
  const auto where = [&] { return "shard " + options_.shards[sample.shard] + " member " + sample.key + ".txt"; };
  if (text::encode_utf8(text::decode_utf8(caption)) != caption)
    throw BadSampleError(SkipReason::kBadCaption,
                         where() + ": the caption is not valid UTF-8. HINT: re-encode captions as UTF-8.");
  const size_t first = caption.find_first_not_of(" \t\r\n\v\f");
  if (first == std::string::npos)
    throw BadSampleError(SkipReason::kBadCaption, where() + ": the caption is empty. HINT: drop uncaptioned samples.");
  caption.erase(caption.find_last_not_of(" \t\r\n\v\f") + 1);
  caption.erase(0, first);
  return caption;
}

Example ShardSource::decode(uint64_t index, bool augment, uint64_t augment_seed) const {
  CLIPSCALE_CHECK_LT(index, samples_.size());
  const Sample& sample = samples_[index];
  Example example;
  example.id = index;
  example.image_size = options_.image_size;
  example.caption = read_caption(sample);
  const std::string bytes =
      read_member(sample, sample.image, sample.image_ext, kMaxImageBytes, SkipReason::kImageTooLarge);
  const std::string where = "shard " + options_.shards[sample.shard] + " member " + sample.key + "." + sample.image_ext;
  // A random crop keeps >= ~82% of the shorter side; decode JPEGs at a scale that still covers it.
  const int64_t size = options_.image_size;
  const RgbImage image = decode_image(bytes, augment ? (size * 5 + 3) / 4 : size, where);
  CropBox box;
  if (augment) {
    core::Rng rng(augment_seed);
    box = random_resized_crop_box(image.full_width, image.full_height, rng);
  } else {
    box = center_crop_box(image.full_width, image.full_height);
  }
  example.pixels = resize_crop(image, box, size);
  return example;
}

Example ShardSource::get(uint64_t index) const { return decode(index, false, 0); }

Example ShardSource::get_augmented(uint64_t index, uint64_t augment_seed) const {
  return decode(index, true, augment_seed);
}

std::string ShardSource::caption(uint64_t index) const {
  CLIPSCALE_CHECK_LT(index, samples_.size());
  return read_caption(samples_[index]);
}

std::string ShardSource::metadata(uint64_t index) const {
  CLIPSCALE_CHECK_LT(index, samples_.size());
  const Sample& sample = samples_[index];
  if (sample.json.size == 0) return "";
  // Metadata is not a caption, but an oversized one is as unusable: the same limit and reason.
  return read_member(sample, sample.json, "json", kMaxCaptionBytes, SkipReason::kBadCaption);
}

std::string ShardSource::location(uint64_t index) const {
  CLIPSCALE_CHECK_LT(index, samples_.size());
  return "shard " + options_.shards[samples_[index].shard] + " key " + samples_[index].key;
}

std::string ShardSource::describe() const {
  return fmt::format("shards:{} ({} shards, {} samples)", options_.pattern, options_.shards.size(), samples_.size());
}

}  // namespace clipscale::data
