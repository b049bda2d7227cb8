#include "ingest/parsers/markdown_parser.h"

#include <md4c.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ingest/normalize.h"
#include "ingest/parsers/block_builder.h"
#include "ingest/parsers/text_encoding.h"

namespace ragd {
namespace {

void AppendCodePoint(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// md4c hands entities over verbatim ("&amp;", "&#169;", "&#xA9;"). Numeric ones and the named
// ones that occur in prose are decoded; others stay as written.
void AppendEntity(std::string& out, std::string_view entity) {
  if (entity.size() >= 4 && entity[1] == '#') {
    const bool hex = entity[2] == 'x' || entity[2] == 'X';
    const std::string digits(entity.substr(hex ? 3 : 2, entity.size() - (hex ? 4 : 3)));
    AppendCodePoint(out,
                    static_cast<uint32_t>(std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10)));
    return;
  }
  struct Named {
    std::string_view name;
    uint32_t cp;
  };
  static constexpr Named kNamed[] = {
      {"&amp;", '&'},      {"&lt;", '<'},        {"&gt;", '>'},       {"&quot;", '"'},
      {"&apos;", '\''},    {"&nbsp;", 0xA0},     {"&copy;", 0xA9},    {"&reg;", 0xAE},
      {"&trade;", 0x2122}, {"&hellip;", 0x2026}, {"&mdash;", 0x2014}, {"&ndash;", 0x2013},
      {"&lsquo;", 0x2018}, {"&rsquo;", 0x2019},  {"&ldquo;", 0x201C}, {"&rdquo;", 0x201D},
      {"&euro;", 0x20AC},  {"&times;", 0xD7},    {"&divide;", 0xF7},  {"&deg;", 0xB0},
      {"&middot;", 0xB7},  {"&bull;", 0x2022},   {"&laquo;", 0xAB},   {"&raquo;", 0xBB},
      {"&shy;", 0xAD},     {"&sect;", 0xA7},     {"&para;", 0xB6},    {"&larr;", 0x2190},
      {"&rarr;", 0x2192},
  };
  for (const Named& named : kNamed) {
    if (entity == named.name) {
      AppendCodePoint(out, named.cp);
      return;
    }
  }
  out.append(entity);
}

std::string StripTags(std::string_view html) {
  std::string out;
  size_t i = 0;
  while (i < html.size()) {
    if (html.substr(i, 4) == "<!--") {
      const size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
    } else if (html[i] == '<') {
      const size_t end = html.find('>', i);
      i = end == std::string_view::npos ? html.size() : end + 1;
      out.push_back(' ');
    } else {
      out.push_back(html[i++]);
    }
  }
  return out;
}

class Collector {
 public:
  explicit Collector(BlockBuilder& builder) : builder_(builder) {}

  static int EnterBlock(MD_BLOCKTYPE type, void* detail, void* self) {
    return static_cast<Collector*>(self)->OnEnter(type, detail);
  }
  static int LeaveBlock(MD_BLOCKTYPE type, void* detail, void* self) {
    return static_cast<Collector*>(self)->OnLeave(type, detail);
  }
  static int EnterSpan(MD_SPANTYPE, void*, void*) { return 0; }
  static int LeaveSpan(MD_SPANTYPE, void*, void*) { return 0; }
  static int Text(MD_TEXTTYPE type, const MD_CHAR* text, MD_SIZE size, void* self) {
    static_cast<Collector*>(self)->OnText(type, std::string_view(text, size));
    return 0;
  }

  const Status& status() const { return status_; }
  const std::string& first_h1() const { return first_h1_; }

 private:
  int OnEnter(MD_BLOCKTYPE type, void* /*detail*/) {
    switch (type) {
      case MD_BLOCK_LI:
        Flush();
        list_depth_++;
        break;
      case MD_BLOCK_TR:
        Flush();
        cells_.clear();
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD:
        buffer_.clear();
        break;
      case MD_BLOCK_DOC:
      case MD_BLOCK_QUOTE:
      case MD_BLOCK_UL:
      case MD_BLOCK_OL:
      case MD_BLOCK_HR:
      case MD_BLOCK_H:
      case MD_BLOCK_CODE:
      case MD_BLOCK_HTML:
      case MD_BLOCK_P:
      case MD_BLOCK_TABLE:
      case MD_BLOCK_THEAD:
      case MD_BLOCK_TBODY:
        Flush();
        break;
    }
    return status_.ok() ? 0 : 1;
  }

  int OnLeave(MD_BLOCKTYPE type, void* detail) {
    switch (type) {
      case MD_BLOCK_H: {
        const int level = static_cast<int>(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level);
        if (level == 1 && first_h1_.empty()) first_h1_ = NormalizeText(buffer_);
        Set(builder_.AddHeading(level, buffer_));
        buffer_.clear();
        break;
      }
      case MD_BLOCK_CODE:
        Set(builder_.AddNormalized(TextBlock::Kind::kParagraph, NormalizeLines(buffer_)));
        buffer_.clear();
        break;
      case MD_BLOCK_HTML:
        Set(builder_.Add(TextBlock::Kind::kParagraph, StripTags(buffer_)));
        buffer_.clear();
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD:
        cells_.push_back(NormalizeText(buffer_));
        buffer_.clear();
        break;
      case MD_BLOCK_TR: {
        std::string row;
        for (const std::string& cell : cells_) {
          if (cell.empty()) continue;
          if (!row.empty()) row += " | ";
          row += cell;
        }
        Set(builder_.AddNormalized(TextBlock::Kind::kTableRow, std::move(row)));
        cells_.clear();
        break;
      }
      case MD_BLOCK_LI:
        Flush();
        list_depth_--;
        break;
      default:
        Flush();
        break;
    }
    if (status_.ok()) Set(builder_.CheckDeadline("reading Markdown"));
    return status_.ok() ? 0 : 1;
  }

  void OnText(MD_TEXTTYPE type, std::string_view text) {
    switch (type) {
      case MD_TEXT_BR:
      case MD_TEXT_SOFTBR:
        buffer_.push_back('\n');
        break;
      case MD_TEXT_ENTITY:
        AppendEntity(buffer_, text);
        break;
      case MD_TEXT_NULLCHAR:
        buffer_.append("\xEF\xBF\xBD");
        break;
      case MD_TEXT_HTML:
        break;  // inline tags carry no text
      default:
        buffer_.append(text);
        break;
    }
  }

  void Flush() {
    if (buffer_.empty()) return;
    Set(builder_.Add(list_depth_ > 0 ? TextBlock::Kind::kListItem : TextBlock::Kind::kParagraph,
                     buffer_));
    buffer_.clear();
  }

  void Set(Status status) {
    if (status_.ok()) status_ = std::move(status);
  }

  BlockBuilder& builder_;
  Status status_;
  std::string buffer_;
  std::vector<std::string> cells_;
  int list_depth_ = 0;
  std::string first_h1_;
};

std::string_view NextLine(std::string_view text, size_t* pos) {
  const size_t start = *pos;
  size_t end = text.find('\n', start);
  if (end == std::string_view::npos) end = text.size();
  *pos = end + 1;
  std::string_view line = text.substr(start, end - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Splits off a YAML front matter block; returns its `title:` ("" if none).
std::string TakeFrontMatter(std::string_view& text) {
  size_t pos = 0;
  if (NextLine(text, &pos) != "---") return {};
  std::string title;
  while (pos < text.size()) {
    const std::string_view line = NextLine(text, &pos);
    if (line == "---" || line == "...") {
      text.remove_prefix(std::min(pos, text.size()));
      return title;
    }
    if (title.empty() && line.substr(0, 6) == "title:") {
      std::string_view value = line.substr(6);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
          value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
      }
      title = NormalizeText(value);
    }
  }
  return {};  // no closing fence: not front matter after all
}

}  // namespace

StatusOr<ParsedDocument> MarkdownParser::ParseText(std::string_view utf8,
                                                   const ParseOptions& options) {
  std::string_view text = utf8;
  const std::string front_title = TakeFrontMatter(text);
  BlockBuilder builder(options);
  Collector collector(builder);
  MD_PARSER parser{};
  parser.abi_version = 0;
  parser.flags = MD_DIALECT_GITHUB;
  parser.enter_block = &Collector::EnterBlock;
  parser.leave_block = &Collector::LeaveBlock;
  parser.enter_span = &Collector::EnterSpan;
  parser.leave_span = &Collector::LeaveSpan;
  parser.text = &Collector::Text;
  const int rc = md_parse(text.data(), static_cast<MD_SIZE>(text.size()), &parser, &collector);
  RAGD_RETURN_IF_ERROR(collector.status());
  if (rc != 0) return InternalError("Markdown parser failed");
  ParsedDocument& doc = builder.document();
  doc.title = front_title.empty() ? collector.first_h1() : front_title;
  if (options.progress) options.progress(1, 1);
  return std::move(builder).Finish();
}

StatusOr<ParsedDocument> MarkdownParser::Parse(const std::filesystem::path& file,
                                               const ParseOptions& options) const {
  RAGD_ASSIGN_OR_RETURN(const std::string bytes, ReadFileBytes(file, MaxInputBytes(options)));
  return ParseText(DecodeToUtf8(bytes).text, options);
}

}  // namespace ragd
