// The icon pool: `clipscale data iconify` turns the npm package @iconify/json (`npm pack
// @iconify/json`; ≈380k visible icons in ≈240 sets, each icon an SVG body with a name, sets with a
// licence and often categories) into WebDataset shards and evaluation tasks, without unpacking it:
// the .tgz is read with libarchive, every icon is rendered in-process with librsvg on a white
// background, on every core.
//
// Output under DIR:
//   pool/{00000..NNNNN}.tar     key.png + key.txt + key.json; every set except the held-out ones
//   eval/icons_emoji.tar        zero-shot: the 9 Unicode emoji groups on the held-out emoji sets
//   eval/icons_concepts.tar     zero-shot: the most common concept names of the held-out icon sets
//   eval/icons_retrieval.tar    name↔icon retrieval on the held-out icon sets
//   eval/<task>.toml            the task files (as experiments/evals/<task>.toml, with DIR's path)
//   manifest.json               package version, options, held-out sets, counts, timing
//
// Samples: the caption is the icon name with dashes as spaces, the set's category when it has
// one, and the set name: "arrow left, arrows icon from Material Design Icons". The json holds
// set, set_name, icon, category, license (SPDX), author and alias_of. Hidden (deprecated) icons
// and pure aliases are left out; aliases that rotate or flip their parent are new images and kept.
// Icons librsvg cannot render, and icons that render blank (animations whose first frame is
// empty), are skipped and counted.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace clipscale::convert {

/// Emoji sets held out of the pool for the emoji-category task (colour emoji with Unicode groups).
const std::vector<std::string>& held_out_emoji_sets();
/// General icon sets held out of the pool for the concept and retrieval tasks.
const std::vector<std::string>& held_out_icon_sets();
/// The 9 Unicode emoji groups, as normalize_category spells them ("smileys emotion", ...).
const std::vector<std::string>& emoji_groups();

struct IconifyOptions {
  std::string package;  ///< the @iconify/json .tgz
  std::string out_dir;
  int64_t image_size = 32;        ///< rendered size (square)
  int64_t shard_size = 10000;     ///< pool samples per shard
  int64_t threads = 0;            ///< rendering threads; 0: every core
  int64_t max_icons_per_set = 0;  ///< 0: all; else the first N of each set (quick looks, tests)
  int64_t emoji_images_per_class = 200;
  int64_t concept_classes = 100;
  int64_t concept_images_per_class = 12;
  int64_t retrieval_pairs = 1000;
  std::vector<std::string> held_out_emoji = held_out_emoji_sets();
  std::vector<std::string> held_out_icons = held_out_icon_sets();
};

struct IconifySummary {
  std::string package_version;
  int64_t sets = 0;
  int64_t rendered = 0;  ///< icons rendered, pool and held-out sets together
  int64_t failed = 0;    ///< librsvg could not parse or render
  int64_t blank = 0;     ///< rendered to a blank image
  int64_t pool_samples = 0;
  std::string pool_pattern;                     ///< the shard pattern of the pool (data.source = "shards:" + this)
  std::map<std::string, int64_t> eval_samples;  ///< task → samples
  double seconds = 0;
};

/// Converts the package. Throws core::UserError when the package cannot be read or holds no
/// icon set, or an option is out of range.
IconifySummary convert_iconify(const IconifyOptions& options);

/// The caption of an icon (see above).
std::string icon_caption(const std::string& name, const std::string& category, const std::string& set_name);
/// A category as captions and tasks spell it: lower case, runs of non-alphanumerics as one space
/// ("Smileys & Emotion" → "smileys emotion", "Account / User" → "account user").
std::string normalize_category(const std::string& category);
/// An icon's concept: its name without trailing style words and numbers
/// ("arrow-left-bold" → "arrow-left", "bell-ringing-2-filled" → "bell-ringing").
std::string icon_concept(const std::string& name);

/// The SVG document of icon `name` in an IconifyJSON set (set defaults applied, aliases
/// resolved, rotations and flips as @iconify/utils applies them). Throws core::UserError for an
/// unknown icon or an alias loop.
std::string iconify_svg(const std::string& set_json, const std::string& name);

}  // namespace clipscale::convert
