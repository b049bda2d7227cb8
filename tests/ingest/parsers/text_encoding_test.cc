#include "ingest/parsers/text_encoding.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "ingest/normalize.h"

namespace ragd {
namespace {

TEST(DecodeToUtf8Test, ByteOrderMarks) {
  EXPECT_EQ(DecodeToUtf8("\xEF\xBB\xBFhi").text, "hi");
  const DecodedText le = DecodeToUtf8(std::string("\xFF\xFEh\0\xE9\0", 6));
  EXPECT_EQ(le.text, "h\xC3\xA9");
  EXPECT_EQ(le.encoding, "UTF-16LE");
  EXPECT_EQ(DecodeToUtf8(std::string("\xFE\xFF\0h\xD8\x3D\xDE\x00", 8)).text, "h\xF0\x9F\x98\x80");
  EXPECT_EQ(DecodeToUtf8(std::string("\xFF\xFE\0\0h\0\0\0", 8)).text, "h");  // UTF-32LE
  // A BOM beats a contradicting declaration.
  EXPECT_EQ(DecodeToUtf8("\xEF\xBB\xBF\xC3\xA9", "iso-8859-1").text, "\xC3\xA9");
}

TEST(DecodeToUtf8Test, DeclaredCharset) {
  // ISO-8859-1 is read as windows-1252: 0x80 is the euro sign, not a C1 control.
  const DecodedText latin = DecodeToUtf8("5\x80 caf\xE9", "ISO-8859-1");
  EXPECT_EQ(latin.text, "5\xE2\x82\xAC caf\xC3\xA9");
  EXPECT_EQ(latin.encoding, "windows-1252");
  EXPECT_EQ(DecodeToUtf8("\x8A\xBF", "Shift_JIS").text, "\xE6\xBC\xA2");  // 漢
  // Unknown labels are ignored; valid UTF-8 stays.
  EXPECT_EQ(DecodeToUtf8("\xC3\xA9", "x-no-such-charset").text, "\xC3\xA9");
}

TEST(DecodeToUtf8Test, DetectsLegacyEncodings) {
  const std::string cp1252 =
      "The \x93smart quotes\x94 cost 5 \x80 \x96 and the \x91single\x92 ones were free. "
      "Na\xEFve caf\xE9 r\xE9sum\xE9 with cr\xE8me br\xFBl\xE9"
      "e.";
  const DecodedText text = DecodeToUtf8(cp1252);
  EXPECT_NE(text.text.find("\xE2\x80\x9Csmart quotes\xE2\x80\x9D"), std::string::npos)
      << text.text << " (" << text.encoding << ")";
  EXPECT_NE(text.text.find("5 \xE2\x82\xAC"), std::string::npos);
}

TEST(DecodeToUtf8Test, SlightlyDamagedUtf8StaysUtf8) {
  const std::string damaged = "r\xC3\xA9sum\xC3\xA9 na\xC3\xAFve \xC3\xBC\xC3\xB6 caf\xE9 end";
  const DecodedText text = DecodeToUtf8(damaged);
  EXPECT_EQ(text.encoding, "UTF-8");
  EXPECT_EQ(text.text, "r\xC3\xA9sum\xC3\xA9 na\xC3\xAFve \xC3\xBC\xC3\xB6 caf\xEF\xBF\xBD end");
}

TEST(DecodeToUtf8Test, ArbitraryBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    std::string bytes(rng() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    const DecodedText text = DecodeToUtf8(bytes);
    EXPECT_TRUE(IsValidUtf8(NormalizeText(text.text)));
  }
}

}  // namespace
}  // namespace ragd
