#include "ingest/parsers/html_parser.h"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "ingest/normalize.h"
#include "ingest/parsers/block_builder.h"
#include "ingest/parsers/text_encoding.h"

namespace ragd {
namespace {

constexpr int kMaxDepth = 512;

bool IsSkipped(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_BUTTON:
      return true;
    default:
      return false;
  }
}

// Elements whose content is a block of its own (flushed before and after).
bool IsBlock(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
      return true;
    default:
      return false;
  }
}

int HeadingLevel(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1:
      return 1;
    case GUMBO_TAG_H2:
      return 2;
    case GUMBO_TAG_H3:
      return 3;
    case GUMBO_TAG_H4:
      return 4;
    case GUMBO_TAG_H5:
      return 5;
    case GUMBO_TAG_H6:
      return 6;
    default:
      return 0;
  }
}

// Text of a subtree; block children and <br> become line breaks.
void AppendTextContent(const GumboNode* node, std::string& out, int depth) {
  if (depth > kMaxDepth) return;
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
      node->type == GUMBO_NODE_CDATA) {
    out.append(node->v.text.text);
    return;
  }
  if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) return;
  const GumboTag tag = node->v.element.tag;
  if (IsSkipped(tag)) return;
  if (tag == GUMBO_TAG_BR) {
    out.push_back('\n');
    return;
  }
  const bool block = IsBlock(tag) || HeadingLevel(tag) > 0 || tag == GUMBO_TAG_LI ||
                     tag == GUMBO_TAG_TR || tag == GUMBO_TAG_PRE;
  if (block) out.push_back('\n');
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    AppendTextContent(static_cast<const GumboNode*>(children.data[i]), out, depth + 1);
  }
  if (block) out.push_back('\n');
}

std::string TextContent(const GumboNode* node) {
  std::string out;
  AppendTextContent(node, out, 0);
  return out;
}

const GumboNode* FindFirst(const GumboNode* node, GumboTag tag, int depth) {
  if (depth > kMaxDepth || node->type != GUMBO_NODE_ELEMENT) return nullptr;
  if (node->v.element.tag == tag) return node;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    const GumboNode* found =
        FindFirst(static_cast<const GumboNode*>(children.data[i]), tag, depth + 1);
    if (found != nullptr) return found;
  }
  return nullptr;
}

class Walker {
 public:
  explicit Walker(BlockBuilder& builder) : builder_(builder) {}

  Status Run(const GumboNode* root) {
    Walk(root, 0);
    Flush();
    return status_;
  }
  const std::string& first_h1() const { return first_h1_; }

 private:
  void Flush() {
    if (!status_.ok() || inline_.empty()) return;
    status_ = builder_.Add(kind_, inline_);
    if (status_.ok()) status_ = builder_.CheckDeadline("reading HTML");
    inline_.clear();
  }

  void WalkChildren(const GumboNode* node, int depth) {
    const GumboVector& children = node->v.element.children;
    for (unsigned i = 0; i < children.length && status_.ok(); ++i) {
      Walk(static_cast<const GumboNode*>(children.data[i]), depth + 1);
    }
  }

  void Walk(const GumboNode* node, int depth) {
    if (depth > kMaxDepth || !status_.ok()) return;
    switch (node->type) {
      case GUMBO_NODE_DOCUMENT: {
        const GumboVector& children = node->v.document.children;
        for (unsigned i = 0; i < children.length; ++i) {
          Walk(static_cast<const GumboNode*>(children.data[i]), depth + 1);
        }
        return;
      }
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        inline_.append(node->v.text.text);
        return;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        break;
      default:
        return;  // comments
    }
    const GumboTag tag = node->v.element.tag;
    if (IsSkipped(tag)) return;
    if (tag == GUMBO_TAG_BR) {
      inline_.push_back('\n');
      return;
    }
    if (const int level = HeadingLevel(tag); level > 0) {
      Flush();
      const std::string text = TextContent(node);
      if (level == 1 && first_h1_.empty()) first_h1_ = NormalizeText(text);
      if (status_.ok()) status_ = builder_.AddHeading(level, text);
      return;
    }
    if (tag == GUMBO_TAG_TR) {
      Flush();
      AddRow(node);
      return;
    }
    if (tag == GUMBO_TAG_PRE) {
      Flush();
      if (status_.ok()) {
        status_ =
            builder_.AddNormalized(TextBlock::Kind::kParagraph, NormalizeLines(TextContent(node)));
      }
      return;
    }
    if (tag == GUMBO_TAG_LI || tag == GUMBO_TAG_DT || tag == GUMBO_TAG_DD) {
      Flush();
      const TextBlock::Kind saved = kind_;
      kind_ = TextBlock::Kind::kListItem;
      WalkChildren(node, depth);
      Flush();
      kind_ = saved;
      return;
    }
    const bool block = IsBlock(tag);
    if (block) Flush();
    WalkChildren(node, depth);
    if (block) Flush();
  }

  void AddRow(const GumboNode* row) {
    std::string text;
    const GumboVector& cells = row->v.element.children;
    for (unsigned i = 0; i < cells.length; ++i) {
      const auto* cell = static_cast<const GumboNode*>(cells.data[i]);
      if (cell->type != GUMBO_NODE_ELEMENT) continue;
      const std::string value = NormalizeText(TextContent(cell));
      if (value.empty()) continue;
      if (!text.empty()) text += " | ";
      text += value;
    }
    if (status_.ok()) status_ = builder_.AddNormalized(TextBlock::Kind::kTableRow, std::move(text));
  }

  BlockBuilder& builder_;
  Status status_;
  std::string inline_;
  TextBlock::Kind kind_ = TextBlock::Kind::kParagraph;
  std::string first_h1_;
};

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string SniffHtmlCharset(std::string_view bytes) {
  const std::string head = AsciiLower(bytes.substr(0, 4096));
  size_t pos = 0;
  while ((pos = head.find("<meta", pos)) != std::string::npos) {
    const size_t end = head.find('>', pos);
    const std::string_view tag = std::string_view(head).substr(
        pos, end == std::string::npos ? std::string::npos : end - pos);
    pos += 5;
    const size_t at = tag.find("charset");
    if (at == std::string_view::npos) continue;
    size_t i = at + 7;
    while (i < tag.size() && (tag[i] == ' ' || tag[i] == '=')) ++i;
    while (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) ++i;
    size_t j = i;
    while (j < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[j])) || tag[j] == '-' ||
                              tag[j] == '_' || tag[j] == ':' || tag[j] == '.')) {
      ++j;
    }
    if (j > i) return std::string(tag.substr(i, j - i));
  }
  return {};
}

StatusOr<ParsedDocument> HtmlParser::ParseBytes(std::string_view bytes,
                                                const ParseOptions& options) {
  std::string charset = SniffHtmlCharset(bytes);
  // A <meta> can only be read if the bytes are ASCII-compatible: a UTF-16 claim is a lie (WHATWG).
  if (charset.rfind("utf-16", 0) == 0) charset = "utf-8";
  const DecodedText decoded = DecodeToUtf8(bytes, charset);

  GumboOptions gumbo_options = kGumboDefaultOptions;
  gumbo_options.max_errors = 0;  // we never read parse errors; don't collect them
  const auto destroy = [gumbo_options](GumboOutput* output) {
    gumbo_destroy_output(&gumbo_options, output);
  };
  std::unique_ptr<GumboOutput, decltype(destroy)> output(
      gumbo_parse_with_options(&gumbo_options, decoded.text.data(), decoded.text.size()), destroy);
  if (!output) return InternalError("HTML parser failed");

  BlockBuilder builder(options);
  Walker walker(builder);
  RAGD_RETURN_IF_ERROR(walker.Run(output->document));
  ParsedDocument& doc = builder.document();
  if (const GumboNode* title = FindFirst(output->root, GUMBO_TAG_TITLE, 0)) {
    doc.title = NormalizeText(TextContent(title));
  }
  if (doc.title.empty()) doc.title = walker.first_h1();
  if (options.progress) options.progress(1, 1);
  return std::move(builder).Finish();
}

StatusOr<ParsedDocument> HtmlParser::Parse(const std::filesystem::path& file,
                                           const ParseOptions& options) const {
  RAGD_ASSIGN_OR_RETURN(const std::string bytes, ReadFileBytes(file, MaxInputBytes(options)));
  return ParseBytes(bytes, options);
}

}  // namespace ragd
