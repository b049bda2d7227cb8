#include "ingest/parsers/text_parser.h"

#include "ingest/normalize.h"
#include "ingest/parsers/block_builder.h"
#include "ingest/parsers/text_encoding.h"

namespace ragd {

StatusOr<ParsedDocument> TextParser::Parse(const std::filesystem::path& file,
                                           const ParseOptions& options) const {
  RAGD_ASSIGN_OR_RETURN(const std::string bytes, ReadFileBytes(file, MaxInputBytes(options)));
  BlockBuilder builder(options);
  for (std::string& paragraph : SplitParagraphs(DecodeToUtf8(bytes).text)) {
    RAGD_RETURN_IF_ERROR(builder.AddNormalized(TextBlock::Kind::kParagraph, std::move(paragraph)));
  }
  RAGD_RETURN_IF_ERROR(builder.CheckDeadline("reading text"));
  if (options.progress) options.progress(1, 1);
  return std::move(builder).Finish();
}

}  // namespace ragd
