#include "convert/iconify.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "convert/shard_writer.h"
#include "convert/svg_render.h"
#include "core/env.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/timer.h"
#include "data/image_codec.h"
#include "data/ordered_parallel.h"
#include "spec/eval_task_spec.h"

namespace clipscale::convert {
namespace {

using Json = nlohmann::json;

constexpr const char* kEmojiTask = "icons_emoji";
constexpr const char* kConceptTask = "icons_concepts";
constexpr const char* kRetrievalTask = "icons_retrieval";
constexpr uint64_t kSelectionSalt = 0x1c0b5;

/// An icon's geometry and body after set defaults and alias merging (IconifyJSON semantics).
struct IconData {
  std::string body;
  double left = 0, top = 0, width = 16, height = 16;
  int rotate = 0;  ///< quarter turns
  bool h_flip = false, v_flip = false;
};

/// One icon to render and where it goes.
struct IconJob {
  std::string name;
  std::string alias_of;
  std::string category;
  std::string svg;
};

/// A rendered held-out icon, kept for the eval tasks.
struct HeldIcon {
  std::string set;
  std::string name;
  std::string category;
  std::string caption;
  std::string json;
  std::string png;
};

struct RenderResult {
  std::string png;
  bool failed = false;
  bool blank = false;
};

double number_or(const Json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

/// Applies an alias's or icon's own properties over `data` (@iconify/utils mergeIconData).
void merge_props(const Json& props, IconData& data) {
  data.left = number_or(props, "left", data.left);
  data.top = number_or(props, "top", data.top);
  data.width = number_or(props, "width", data.width);
  data.height = number_or(props, "height", data.height);
  data.rotate = (data.rotate + static_cast<int>(number_or(props, "rotate", 0))) % 4;
  if (props.value("hFlip", false)) data.h_flip = !data.h_flip;
  if (props.value("vFlip", false)) data.v_flip = !data.v_flip;
}

IconData resolve_icon(const Json& set, const std::string& name, int depth = 0) {
  if (depth > 16)
    throw core::UserError("icon " + name + ": alias chain longer than 16 (a loop?). HINT: skip the icon.");
  IconData data;
  data.left = number_or(set, "left", 0);
  data.top = number_or(set, "top", 0);
  data.width = number_or(set, "width", 16);
  data.height = number_or(set, "height", 16);
  const auto icons = set.find("icons");
  if (icons != set.end()) {
    const auto icon = icons->find(name);
    if (icon != icons->end()) {
      data.body = icon->value("body", "");
      merge_props(*icon, data);
      return data;
    }
  }
  const auto aliases = set.find("aliases");
  if (aliases != set.end()) {
    const auto alias = aliases->find(name);
    if (alias != aliases->end() && alias->contains("parent")) {
      // The parent's full data (its own defaults and transformations), then the alias's on top.
      data = resolve_icon(set, (*alias)["parent"].get<std::string>(), depth + 1);
      merge_props(*alias, data);
      return data;
    }
  }
  throw core::UserError("icon " + name + " is neither an icon nor an alias of the set. HINT: check the name.");
}

/// The SVG document, with rotations and flips as @iconify/utils iconToSVG applies them.
std::string svg_document(IconData data) {
  std::vector<std::string> transforms;
  double left = data.left, top = data.top, width = data.width, height = data.height;
  int rotation = data.rotate;
  if (data.h_flip) {
    if (data.v_flip) {
      rotation += 2;
    } else {
      transforms.push_back(fmt::format("translate({:g} {:g})", width + left, 0.0 - top));
      transforms.push_back("scale(-1 1)");
      top = left = 0;
    }
  } else if (data.v_flip) {
    transforms.push_back(fmt::format("translate({:g} {:g})", 0.0 - left, height + top));
    transforms.push_back("scale(1 -1)");
    top = left = 0;
  }
  rotation %= 4;
  if (rotation == 1) {
    const double c = height / 2 + top;
    transforms.insert(transforms.begin(), fmt::format("rotate(90 {:g} {:g})", c, c));
  } else if (rotation == 2) {
    transforms.insert(transforms.begin(), fmt::format("rotate(180 {:g} {:g})", width / 2 + left, height / 2 + top));
  } else if (rotation == 3) {
    const double c = width / 2 + left;
    transforms.insert(transforms.begin(), fmt::format("rotate(-90 {:g} {:g})", c, c));
  }
  if (rotation % 2 == 1) {
    std::swap(left, top);
    std::swap(width, height);
  }
  std::string body = data.body;
  if (!transforms.empty()) {
    std::string joined;
    for (const auto& t : transforms) joined += (joined.empty() ? "" : " ") + t;
    body = "<g transform=\"" + joined + "\">" + body + "</g>";
  }
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
      "width=\"{:g}\" height=\"{:g}\" viewBox=\"{:g} {:g} {:g} {:g}\">{}</svg>",
      width, height, left, top, width, height, body);
}

/// Icon name → its first category (category names in sorted order).
std::map<std::string, std::string> icon_categories(const Json& set) {
  std::map<std::string, std::string> out;
  const auto categories = set.find("categories");
  if (categories == set.end() || !categories->is_object()) return out;
  for (const auto& [category, names] : categories->items()) {
    if (!names.is_array()) continue;
    for (const auto& n : names)
      if (n.is_string()) out.emplace(n.get<std::string>(), normalize_category(category));
  }
  return out;
}

/// The icons of a set to render: visible icons, and aliases that rotate or flip their parent.
std::vector<IconJob> set_jobs(const Json& set, int64_t max_icons) {
  const auto categories = icon_categories(set);
  const auto category_of = [&](const std::string& name) {
    const auto it = categories.find(name);
    return it == categories.end() ? std::string() : it->second;
  };
  std::vector<IconJob> jobs;
  const auto add = [&](const std::string& name, const std::string& alias_of) {
    try {
      IconJob job{name, alias_of, category_of(name), svg_document(resolve_icon(set, name))};
      if (job.category.empty() && !alias_of.empty()) job.category = category_of(alias_of);
      jobs.push_back(std::move(job));
    } catch (const core::UserError& e) {
      spdlog::debug("{}", e.what());
    }
  };
  if (const auto icons = set.find("icons"); icons != set.end() && icons->is_object())
    for (const auto& [name, icon] : icons->items())
      if (icon.is_object() && !icon.value("hidden", false)) add(name, "");
  if (const auto aliases = set.find("aliases"); aliases != set.end() && aliases->is_object())
    for (const auto& [name, alias] : aliases->items()) {
      if (!alias.is_object() || alias.value("hidden", false) || !alias.contains("parent")) continue;
      if (alias.contains("rotate") || alias.value("hFlip", false) || alias.value("vFlip", false))
        add(name, alias["parent"].get<std::string>());
    }
  std::sort(jobs.begin(), jobs.end(), [](const IconJob& a, const IconJob& b) { return a.name < b.name; });
  if (max_icons > 0 && static_cast<int64_t>(jobs.size()) > max_icons) jobs.resize(static_cast<size_t>(max_icons));
  return jobs;
}

RenderResult render_icon(const IconJob& job, int64_t size, const std::string& prefix) {
  RenderResult result;
  try {
    const std::vector<uint8_t> rgb = render_svg(job.svg, size, "icon " + prefix + ":" + job.name);
    result.blank = std::all_of(rgb.begin(), rgb.end(), [](uint8_t v) { return v == 255; });
    if (!result.blank) result.png = data::encode_png(rgb.data(), size, size);
  } catch (const core::UserError& e) {
    spdlog::debug("{}", e.what());
    result.failed = true;
  }
  return result;
}

/// Reads the .tgz entry by entry; calls on_set(prefix, bytes) for package/json/<prefix>.json.
template <typename OnSet>
std::string read_package(const std::string& path, OnSet on_set) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK)
    throw core::UserError("--package " + path + " cannot be opened: " + archive_error_string(a.get()) +
                          ". HINT: fetch it with `npm pack @iconify/json` and pass the .tgz.");
  std::string version;
  archive_entry* entry = nullptr;
  int r = ARCHIVE_OK;
  while ((r = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    const std::string name = archive_entry_pathname(entry);
    const bool is_set =
        name.rfind("package/json/", 0) == 0 && name.size() > 18 && name.compare(name.size() - 5, 5, ".json") == 0;
    if (!is_set && name != "package/package.json") continue;
    constexpr int64_t kMaxMemberBytes = int64_t{1} << 30;  // the largest set, fluent-emoji, is 104 MB
    if (archive_entry_size(entry) < 0 || archive_entry_size(entry) > kMaxMemberBytes)
      throw core::UserError("--package " + path + ": member " + name + " claims " +
                            std::to_string(archive_entry_size(entry)) +
                            " bytes, over the 1 GiB limit. "
                            "HINT: pass the .tgz of `npm pack @iconify/json`.");
    std::string bytes(static_cast<size_t>(archive_entry_size(entry)), '\0');
    if (archive_read_data(a.get(), bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size()))
      throw core::UserError("--package " + path + ": member " + name + " cannot be read (" +
                            archive_error_string(a.get()) + "). HINT: download the package again.");
    if (is_set) {
      on_set(name.substr(13, name.size() - 18), bytes);
    } else {
      const Json package = Json::parse(bytes, nullptr, false);
      if (package.is_object()) version = package.value("version", "");
    }
  }
  if (r != ARCHIVE_EOF)
    throw core::UserError("--package " + path + " is damaged (" + archive_error_string(a.get()) +
                          "). HINT: download it again with `npm pack @iconify/json`.");
  return version;
}

/// Writes one eval task: its single shard and its task file.
void write_eval_task(const std::string& out_dir, const std::string& task, const std::string& kind,
                     const std::string& description, const std::vector<std::string>& templates,
                     const std::vector<const HeldIcon*>& icons, const std::vector<std::string>& labels) {
  const std::filesystem::path eval_dir = std::filesystem::path(out_dir) / "eval";
  const std::string shard = std::filesystem::absolute(eval_dir / (task + ".tar")).lexically_normal().string();
  TarWriter writer(shard);
  for (size_t i = 0; i < icons.size(); ++i) {
    const std::string key = fmt::format("{:06d}", i);
    Json json = Json::parse(icons[i]->json);
    if (!labels.empty()) json["label"] = labels[i];
    writer.add(key + ".png", icons[i]->png);
    writer.add(key + ".txt", icons[i]->caption);
    writer.add(key + ".json", json.dump());
  }
  writer.close();
  spec::EvalTaskSpec spec;
  spec.kind = kind == "zeroshot" ? spec::EvalTaskKind::kZeroShot : spec::EvalTaskKind::kRetrieval;
  spec.description = description;
  spec.source = "shards:" + shard;
  spec.templates = templates;
  std::ofstream(eval_dir / (task + ".toml"))
      << spec::eval_task_toml(spec, "Written by `clipscale data iconify` (src/convert/iconify.h).");
}

/// Up to `per_class` icons per label, chosen by a fixed hash of set and name.
std::vector<std::pair<const HeldIcon*, std::string>> pick_per_class(
    const std::map<std::string, std::vector<const HeldIcon*>>& by_class, int64_t per_class) {
  std::vector<std::pair<const HeldIcon*, std::string>> out;
  for (const auto& [label, icons] : by_class) {
    std::vector<std::pair<std::string, const HeldIcon*>> ranked;
    for (const HeldIcon* icon : icons)
      ranked.emplace_back(core::sha256_hex(fmt::format("{}:{}:{}", kSelectionSalt, icon->set, icon->name)), icon);
    std::sort(ranked.begin(), ranked.end());
    for (int64_t i = 0; i < std::min<int64_t>(per_class, static_cast<int64_t>(ranked.size())); ++i)
      out.emplace_back(ranked[static_cast<size_t>(i)].second, label);
  }
  return out;
}

void write_eval_tasks(const IconifyOptions& options, const std::vector<HeldIcon>& held, IconifySummary& summary) {
  const std::set<std::string> emoji_sets(options.held_out_emoji.begin(), options.held_out_emoji.end());
  const std::set<std::string> groups(emoji_groups().begin(), emoji_groups().end());
  const auto write = [&](const std::string& task, const std::string& kind, const std::string& description,
                         const std::vector<std::string>& templates,
                         const std::vector<std::pair<const HeldIcon*, std::string>>& picked) {
    if (picked.empty()) {
      spdlog::warn("eval task {}: no icon of the held-out sets qualifies; not written", task);
      return;
    }
    std::vector<const HeldIcon*> icons;
    std::vector<std::string> labels;
    for (const auto& [icon, label] : picked) {
      icons.push_back(icon);
      if (kind == "zeroshot") labels.push_back(label);
    }
    write_eval_task(options.out_dir, task, kind, description, templates, icons, labels);
    summary.eval_samples[task] = static_cast<int64_t>(icons.size());
  };

  std::map<std::string, std::vector<const HeldIcon*>> by_group;
  for (const auto& icon : held)
    if (emoji_sets.count(icon.set) && groups.count(icon.category)) by_group[icon.category].push_back(&icon);
  write(kEmojiTask, "zeroshot", "Zero-shot classification of the 9 Unicode emoji groups on held-out emoji sets",
        {"{} emoji", "an emoji of {}", "{} icon", "a {} icon"},
        pick_per_class(by_group, options.emoji_images_per_class));

  // Concepts of the held-out icon sets, ranked by how many sets draw them, then how many icons.
  std::map<std::string, std::vector<const HeldIcon*>> by_concept;
  std::map<std::string, std::set<std::string>> concept_sets;
  std::vector<const HeldIcon*> general;
  for (const auto& icon : held) {
    if (emoji_sets.count(icon.set)) continue;
    general.push_back(&icon);
    const std::string concept_name = icon_concept(icon.name);
    by_concept[concept_name].push_back(&icon);
    concept_sets[concept_name].insert(icon.set);
  }
  std::vector<std::string> ranked;
  for (const auto& [concept_name, icons] : by_concept) ranked.push_back(concept_name);
  std::sort(ranked.begin(), ranked.end(), [&](const std::string& a, const std::string& b) {
    return std::make_tuple(-static_cast<int64_t>(concept_sets[a].size()), -static_cast<int64_t>(by_concept[a].size()),
                           a) < std::make_tuple(-static_cast<int64_t>(concept_sets[b].size()),
                                                -static_cast<int64_t>(by_concept[b].size()), b);
  });
  if (static_cast<int64_t>(ranked.size()) > options.concept_classes)
    ranked.resize(static_cast<size_t>(options.concept_classes));
  std::map<std::string, std::vector<const HeldIcon*>> top;
  for (const auto& concept_name : ranked) {
    std::string label = concept_name;
    std::replace(label.begin(), label.end(), '-', ' ');
    top[label] = by_concept[concept_name];
  }
  write(kConceptTask, "zeroshot", "Zero-shot classification over the most common concept names of held-out icon sets",
        {"{} icon", "an icon of {}", "a {} icon", "{}"}, pick_per_class(top, options.concept_images_per_class));

  std::map<std::string, std::vector<const HeldIcon*>> all{{"", general}};
  auto pairs = pick_per_class(all, options.retrieval_pairs);
  write(kRetrievalTask, "retrieval", "Name-icon retrieval on held-out icon sets (captions as in the pool)", {}, pairs);
}

void check_options(const IconifyOptions& o) {
  const auto positive = [](const char* flag, int64_t v) {
    if (v <= 0)
      throw core::UserError(std::string(flag) + " " + std::to_string(v) + " violates " + (flag + 2) +
                            " > 0. HINT: see clipscale data iconify --help.");
  };
  positive("--size", o.image_size);
  positive("--shard-size", o.shard_size);
  positive("--emoji-per-class", o.emoji_images_per_class);
  positive("--concept-classes", o.concept_classes);
  positive("--concept-per-class", o.concept_images_per_class);
  positive("--retrieval-pairs", o.retrieval_pairs);
  if (o.image_size > 1024)
    throw core::UserError("--size " + std::to_string(o.image_size) +
                          " violates size <= 1024. HINT: icons are small; 32 or 64 is typical.");
}

}  // namespace

const std::vector<std::string>& held_out_emoji_sets() {
  static const std::vector<std::string> kSets = {"openmoji", "twemoji"};
  return kSets;
}

const std::vector<std::string>& held_out_icon_sets() {
  static const std::vector<std::string> kSets = {"lucide", "lucide-lab", "ph", "tabler"};
  return kSets;
}

const std::vector<std::string>& emoji_groups() {
  static const std::vector<std::string> kGroups = {"smileys emotion", "people body",   "animals nature",
                                                   "food drink",      "travel places", "activities",
                                                   "objects",         "symbols",       "flags"};
  return kGroups;
}

std::string normalize_category(const std::string& category) {
  std::string out;
  bool space = false;
  for (unsigned char c : category) {
    if (std::isalnum(c)) {
      if (space && !out.empty()) out += ' ';
      out += static_cast<char>(std::tolower(c));
      space = false;
    } else {
      space = true;
    }
  }
  return out;
}

std::string icon_caption(const std::string& name, const std::string& category, const std::string& set_name) {
  std::string words = name;
  std::replace(words.begin(), words.end(), '-', ' ');
  std::replace(words.begin(), words.end(), '_', ' ');
  return words + (category.empty() ? "" : ", " + category) + " icon from " + set_name;
}

std::string icon_concept(const std::string& name) {
  static const std::set<std::string> kStyleWords = {"outline", "outlined", "filled", "fill",    "solid",   "bold",
                                                    "line",    "light",    "thin",   "duotone", "twotone", "regular",
                                                    "round",   "rounded",  "sharp",  "alt",     "duo",     "sm",
                                                    "md",      "lg",       "xs",     "xl",      "o"};
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    const size_t dash = name.find('-', start);
    parts.push_back(name.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  while (parts.size() > 1) {
    const std::string& last = parts.back();
    const bool number =
        !last.empty() && std::all_of(last.begin(), last.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!number && kStyleWords.count(last) == 0) break;
    parts.pop_back();
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "-") + p;
  return out;
}

std::string iconify_svg(const std::string& set_json, const std::string& name) {
  const Json set = Json::parse(set_json, nullptr, false);
  if (set.is_discarded() || !set.is_object())
    throw core::UserError("not an IconifyJSON set. HINT: pass a json/<set>.json.");
  return svg_document(resolve_icon(set, name));
}

IconifySummary convert_iconify(const IconifyOptions& options) {
  check_options(options);
  const core::Stopwatch timer;
  const int64_t threads = options.threads > 0 ? options.threads : core::available_cores();
  const std::set<std::string> emoji(options.held_out_emoji.begin(), options.held_out_emoji.end());
  const std::set<std::string> icon_sets(options.held_out_icons.begin(), options.held_out_icons.end());
  IconifySummary summary;
  ShardWriter pool((std::filesystem::path(options.out_dir) / "pool").string(), options.shard_size);
  std::vector<HeldIcon> held;
  int64_t pool_sets = 0;

  summary.package_version = read_package(options.package, [&](const std::string& file_prefix,
                                                              const std::string& bytes) {
    const Json set = Json::parse(bytes, nullptr, false);
    if (set.is_discarded() || !set.is_object() || !set.contains("icons")) {
      spdlog::warn("package member json/{}.json is not an IconifyJSON set; skipped", file_prefix);
      return;
    }
    const std::string prefix = set.value("prefix", file_prefix);
    const Json info = set.value("info", Json::object());
    const std::string set_name = info.value("name", prefix);
    Json license = info.value("license", Json::object());
    const std::string spdx = license.is_object() ? license.value("spdx", license.value("title", "")) : "";
    const Json author = info.value("author", Json::object());
    const std::string author_name = author.is_object() ? author.value("name", "") : "";
    const bool is_held = emoji.count(prefix) > 0 || icon_sets.count(prefix) > 0;
    const std::vector<IconJob> jobs = set_jobs(set, options.max_icons_per_set);
    ++summary.sets;
    pool_sets += is_held ? 0 : 1;
    data::for_each_ordered<RenderResult>(
        static_cast<int64_t>(jobs.size()), threads,
        [&](int64_t i) { return render_icon(jobs[static_cast<size_t>(i)], options.image_size, prefix); },
        [&](int64_t i, RenderResult result) {
          const IconJob& job = jobs[static_cast<size_t>(i)];
          summary.failed += result.failed ? 1 : 0;
          summary.blank += result.blank ? 1 : 0;
          if (result.failed || result.blank) return;
          ++summary.rendered;
          Json json = {
              {"set", prefix}, {"set_name", set_name}, {"icon", job.name}, {"license", spdx}, {"author", author_name}};
          json["category"] = job.category.empty() ? Json(nullptr) : Json(job.category);
          json["alias_of"] = job.alias_of.empty() ? Json(nullptr) : Json(job.alias_of);
          const std::string caption = icon_caption(job.name, job.category, set_name);
          if (is_held) {
            held.push_back({prefix, job.name, job.category, caption, json.dump(), std::move(result.png)});
            return;
          }
          ShardSample sample;
          sample.key = fmt::format("{:09d}", pool.samples());
          sample.members = {{"png", std::move(result.png)}, {"txt", caption}, {"json", json.dump()}};
          pool.write(sample);
        });
    spdlog::info("iconify: {:<28} {:>6} icons{} | {} done, {:.0f} s", prefix, jobs.size(), is_held ? " (held out)" : "",
                 summary.rendered, timer.seconds());
  });
  if (summary.sets == 0 || pool.samples() == 0)
    throw core::UserError(
        "--package " + options.package +
        " holds no IconifyJSON set outside the held-out ones. HINT: pass the .tgz of `npm pack @iconify/json`.");
  summary.pool_samples = pool.samples();
  summary.pool_pattern = std::filesystem::absolute(pool.finish()).lexically_normal().string();
  write_eval_tasks(options, held, summary);
  summary.seconds = timer.seconds();

  Json manifest = {{"schema_version", 1},
                   {"package", options.package},
                   {"package_version", summary.package_version},
                   {"image_size", options.image_size},
                   {"held_out_emoji_sets", options.held_out_emoji},
                   {"held_out_icon_sets", options.held_out_icons},
                   {"sets", summary.sets},
                   {"pool_sets", pool_sets},
                   {"rendered", summary.rendered},
                   {"failed", summary.failed},
                   {"blank", summary.blank},
                   {"pool_samples", summary.pool_samples},
                   {"pool_source", "shards:" + summary.pool_pattern},
                   {"eval_samples", summary.eval_samples},
                   {"threads", threads},
                   {"seconds", summary.seconds}};
  std::ofstream(std::filesystem::path(options.out_dir) / "manifest.json") << manifest.dump(2) << "\n";
  return summary;
}

}  // namespace clipscale::convert
