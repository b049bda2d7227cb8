#include "ingest/parsers/docx_parser.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <pugixml.hpp>

#include "ingest/normalize.h"
#include "ingest/parsers/block_builder.h"
#include "ingest/parsers/zip_reader.h"

namespace ragd {
namespace {

constexpr unsigned kXmlOptions = pugi::parse_default | pugi::parse_ws_pcdata_single;
constexpr int kMaxStyleChain = 16;
constexpr int64_t kDeadlineEvery = 256;  // body elements between deadline checks

// Element names without their namespace prefix ("w:p" -> "p"): producers agree on the namespace
// URIs, not always on the prefixes.
std::string_view Local(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& node, std::string_view local) {
  for (pugi::xml_node child : node.children()) {
    if (Local(child) == local) return child;
  }
  return {};
}

// The attribute "w:val" (or whatever the prefix), by local name.
const char* Attr(const pugi::xml_node& node, std::string_view local) {
  for (pugi::xml_attribute attr : node.attributes()) {
    std::string_view name = attr.name();
    const size_t colon = name.find(':');
    if ((colon == std::string_view::npos ? name : name.substr(colon + 1)) == local) {
      return attr.value();
    }
  }
  return "";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct Style {
  std::string name;  // lower-case
  std::string based_on;
  int outline_level = -1;  // 0-based, -1 if none
  bool numbered = false;
};

class Styles {
 public:
  void Load(const pugi::xml_document& xml) {
    for (pugi::xml_node style : Child(xml, "styles").children()) {
      if (Local(style) != "style" || std::strcmp(Attr(style, "type"), "paragraph") != 0) continue;
      Style s;
      s.name = Lower(Attr(Child(style, "name"), "val"));
      s.based_on = Attr(Child(style, "basedOn"), "val");
      const pugi::xml_node ppr = Child(style, "pPr");
      if (const pugi::xml_node lvl = Child(ppr, "outlineLvl")) {
        s.outline_level = std::atoi(Attr(lvl, "val"));
      }
      s.numbered = static_cast<bool>(Child(ppr, "numPr"));
      styles_[Attr(style, "styleId")] = std::move(s);
    }
  }

  // 1..6 for a heading style, else 0.
  int HeadingLevel(const std::string& id) const {
    std::string current = id;
    for (int depth = 0; depth < kMaxStyleChain && !current.empty(); ++depth) {
      const auto it = styles_.find(current);
      if (it == styles_.end()) return depth == 0 ? LevelFromId(current) : 0;
      const Style& s = it->second;
      if (s.name == "title") return 1;
      if (s.name.rfind("heading ", 0) == 0) return Clamp(std::atoi(s.name.c_str() + 8));
      if (s.outline_level >= 0 && s.outline_level < 9) return Clamp(s.outline_level + 1);
      current = s.based_on;
    }
    return 0;
  }

  bool IsList(const std::string& id) const {
    const auto it = styles_.find(id);
    if (it == styles_.end()) return Lower(id).rfind("list", 0) == 0;
    return it->second.numbered || it->second.name.rfind("list", 0) == 0;
  }

 private:
  static int Clamp(int level) { return level < 1 ? 0 : std::min(level, 6); }
  // Without styles.xml: the built-in English ids ("Heading1", "Title").
  static int LevelFromId(const std::string& id) {
    const std::string lower = Lower(id);
    if (lower == "title") return 1;
    if (lower.rfind("heading", 0) == 0 && lower.size() > 7)
      return Clamp(std::atoi(lower.c_str() + 7));
    return 0;
  }

  std::map<std::string, Style, std::less<>> styles_;
};

bool SkipsText(std::string_view local) {
  return local == "pPr" || local == "rPr" || local == "del" || local == "delText" ||
         local == "instrText" || local == "moveFrom" || local == "commentReference";
}

void CollectText(const pugi::xml_node& node, std::string& out, int depth) {
  if (depth > 64) return;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) continue;
    const std::string_view local = Local(child);
    if (SkipsText(local)) continue;
    if (local == "t") {
      out.append(child.text().get());
    } else if (local == "tab") {
      out.push_back('\t');
    } else if (local == "br" || local == "cr") {
      out.push_back('\n');
    } else if (local == "noBreakHyphen") {
      out.push_back('-');
    } else if (local == "p") {
      out.push_back('\n');  // a paragraph inside a text box or a cell
      CollectText(child, out, depth + 1);
      out.push_back('\n');
    } else {
      CollectText(child, out, depth + 1);
    }
  }
}

class BodyWalker {
 public:
  BodyWalker(BlockBuilder& builder, const Styles& styles) : builder_(builder), styles_(styles) {}

  Status Walk(const pugi::xml_node& container, int depth) {
    if (depth > 32) return OkStatus();
    for (pugi::xml_node child : container.children()) {
      const std::string_view local = Local(child);
      if (++elements_ % kDeadlineEvery == 0) {
        RAGD_RETURN_IF_ERROR(builder_.CheckDeadline("reading DOCX"));
      }
      if (local == "p") {
        RAGD_RETURN_IF_ERROR(Paragraph(child));
      } else if (local == "tbl") {
        RAGD_RETURN_IF_ERROR(Table(child));
      } else if (local == "sdt" || local == "sdtContent" || local == "customXml" ||
                 local == "ins") {
        RAGD_RETURN_IF_ERROR(Walk(local == "sdt" ? Child(child, "sdtContent") : child, depth + 1));
      }
    }
    return builder_.CheckDeadline("reading DOCX");
  }

  const std::string& first_heading() const { return first_heading_; }

 private:
  Status Paragraph(const pugi::xml_node& p) {
    std::string text;
    CollectText(p, text, 0);
    const pugi::xml_node ppr = Child(p, "pPr");
    const std::string style = Attr(Child(ppr, "pStyle"), "val");
    int level = styles_.HeadingLevel(style);
    if (const pugi::xml_node lvl = Child(ppr, "outlineLvl"); lvl && level == 0) {
      const int outline = std::atoi(Attr(lvl, "val"));
      if (outline >= 0 && outline < 9) level = std::min(outline + 1, 6);
    }
    if (level > 0) {
      if (first_heading_.empty()) first_heading_ = NormalizeText(text);
      return builder_.AddHeading(level, text);
    }
    const bool list = static_cast<bool>(Child(ppr, "numPr")) || styles_.IsList(style);
    return builder_.Add(list ? TextBlock::Kind::kListItem : TextBlock::Kind::kParagraph, text);
  }

  Status Table(const pugi::xml_node& table) {
    for (pugi::xml_node row : table.children()) {
      if (Local(row) != "tr") continue;
      std::string line;
      for (pugi::xml_node cell : row.children()) {
        if (Local(cell) != "tc") continue;
        std::string raw;
        CollectText(cell, raw, 0);
        const std::string value = NormalizeText(raw);
        if (value.empty()) continue;
        if (!line.empty()) line += " | ";
        line += value;
      }
      RAGD_RETURN_IF_ERROR(builder_.AddNormalized(TextBlock::Kind::kTableRow, std::move(line)));
    }
    return OkStatus();
  }

  BlockBuilder& builder_;
  const Styles& styles_;
  std::string first_heading_;
  int64_t elements_ = 0;
};

StatusOr<pugi::xml_document> ParseXml(const std::string& data, const std::string& part) {
  pugi::xml_document xml;
  const pugi::xml_parse_result result = xml.load_buffer(data.data(), data.size(), kXmlOptions);
  if (!result) {
    return DataLossError("DOCX: " + part + " is not well-formed XML (" + result.description() +
                         " at byte " + std::to_string(result.offset) + ")");
  }
  return xml;
}

// The main document part named by the package relationships, else the conventional name.
StatusOr<std::string> MainPartName(ZipReader& zip) {
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> rels, zip.Read("_rels/.rels"));
  if (rels) {
    pugi::xml_document xml;
    if (xml.load_buffer(rels->data(), rels->size(), kXmlOptions)) {
      for (pugi::xml_node rel : Child(xml, "Relationships").children()) {
        const std::string_view type = Attr(rel, "Type");
        if (type.size() >= 15 && type.substr(type.size() - 15) == "/officeDocument") {
          std::string target = Attr(rel, "Target");
          if (!target.empty() && target[0] == '/') target.erase(0, 1);
          if (!target.empty()) return target;
        }
      }
    }
  }
  return std::string("word/document.xml");
}

}  // namespace

StatusOr<ParsedDocument> DocxParser::Parse(const std::filesystem::path& file,
                                           const ParseOptions& options) const {
  RAGD_ASSIGN_OR_RETURN(ZipReader zip,
                        ZipReader::Open(file, "DOCX", options.max_uncompressed_bytes));
  RAGD_ASSIGN_OR_RETURN(const std::string main_part, MainPartName(zip));
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> document, zip.Read(main_part));
  if (!document) return DataLossError("DOCX: the archive has no " + main_part);

  Styles styles;
  const size_t slash = main_part.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : main_part.substr(0, slash + 1);
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> styles_xml, zip.Read(dir + "styles.xml"));
  if (styles_xml) {
    pugi::xml_document xml;
    if (xml.load_buffer(styles_xml->data(), styles_xml->size(), kXmlOptions)) styles.Load(xml);
  }

  BlockBuilder builder(options);
  BodyWalker walker(builder, styles);
  {
    RAGD_ASSIGN_OR_RETURN(pugi::xml_document xml, ParseXml(*document, main_part));
    document.reset();
    RAGD_RETURN_IF_ERROR(walker.Walk(Child(Child(xml, "document"), "body"), 0));
  }

  ParsedDocument& doc = builder.document();
  RAGD_ASSIGN_OR_RETURN(std::optional<std::string> core, zip.Read("docProps/core.xml"));
  if (core) {
    pugi::xml_document xml;
    if (xml.load_buffer(core->data(), core->size(), kXmlOptions)) {
      doc.title = NormalizeText(Child(Child(xml, "coreProperties"), "title").text().get());
    }
  }
  if (doc.title.empty()) doc.title = walker.first_heading();
  if (options.progress) options.progress(1, 1);
  return std::move(builder).Finish();
}

}  // namespace ragd
