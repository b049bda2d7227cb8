#include "ingest/parsers/csv_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ragd {
namespace {

using Fields = std::vector<std::string>;

std::vector<Fields> ReadAll(std::string_view text, char delimiter) {
  std::vector<Fields> records;
  Fields fields;
  size_t pos = 0;
  while (ReadCsvRecord(text, delimiter, &pos, &fields)) records.push_back(fields);
  return records;
}

TEST(CsvRecordTest, Rfc4180Quoting) {
  EXPECT_EQ(ReadAll("a,\"b,c\",\"d \"\"e\"\"\"\r\n\"multi\r\nline\",,x\n", ','),
            (std::vector<Fields>{{"a", "b,c", "d \"e\""}, {"multi\r\nline", "", "x"}}));
  // Lenient: a quote inside an unquoted field is data; text after a closing quote is kept.
  EXPECT_EQ(ReadAll("5\" disk,\"ab\"cd\n", ','), (std::vector<Fields>{{"5\" disk", "abcd"}}));
  // An unterminated quote runs to the end of the input instead of failing.
  EXPECT_EQ(ReadAll("a,\"open\nrest", ','), (std::vector<Fields>{{"a", "open\nrest"}}));
  EXPECT_EQ(ReadAll("last,line", ','), (std::vector<Fields>{{"last", "line"}}));
  EXPECT_TRUE(ReadAll("", ',').empty());
}

TEST(CsvSniffTest, PicksTheConsistentDelimiter) {
  EXPECT_EQ(SniffCsvDelimiter("a,b,c\n1,2,3\n4,5,6\n"), ',');
  EXPECT_EQ(SniffCsvDelimiter("name;price\nApples;2,50\nPears;3,10\n"), ';');
  EXPECT_EQ(SniffCsvDelimiter("id\tterm\n1\tthe, a\n2\tan\n"), '\t');
  EXPECT_EQ(SniffCsvDelimiter("a|b\n1|2\n"), '|');
  EXPECT_EQ(SniffCsvDelimiter("just one column\nvalue\n"), ',');
  // Commas inside quotes do not count.
  EXPECT_EQ(SniffCsvDelimiter("\"x, y\";z\n\"1, 2\";3\n"), ';');
}

TEST(CsvParserTest, RecordsAndHeader) {
  const auto doc = CsvParser::ParseText("Name,,Note\nAda,1815,\n\n,,\nBob\n", ParseOptions());
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->csv_header, "Name | column 2 | Note");
  ASSERT_EQ(doc->blocks.size(), 2u);  // the all-empty record gives no block
  EXPECT_EQ(doc->blocks[0].kind, TextBlock::Kind::kRecord);
  EXPECT_EQ(doc->blocks[0].text, "Name: Ada; column 2: 1815");
  EXPECT_EQ(doc->blocks[1].text, "Name: Bob");
}

TEST(CsvParserTest, DeadlineIsChecked) {
  std::string text = "k,v\n";
  for (int i = 0; i < 3000; ++i) text += std::to_string(i) + ",x\n";
  ParseOptions options;
  options.deadline = std::chrono::steady_clock::now();
  const auto doc = CsvParser::ParseText(text, options);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace ragd
