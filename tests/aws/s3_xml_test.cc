// The tolerant XML extractor and the S3 response parsers (aws/s3_xml.h).
#include "aws/s3_xml.h"

#include <gtest/gtest.h>

namespace ragd {
namespace {

TEST(S3XmlTest, DecodesEntitiesAndCharacterReferences) {
  EXPECT_EQ(XmlDecodeText("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;"),
            "a & b <c> \"d\" 'e'");
  EXPECT_EQ(XmlDecodeText("&#38;&#x26;&#X41;&#233;&#x1F600;"), "&&A\xc3\xa9\xf0\x9f\x98\x80");
  // Unknown, malformed or out-of-range references stay as they are.
  EXPECT_EQ(XmlDecodeText("&nbsp; &#xD800; &#1114112; & &amp"),
            "&nbsp; &#xD800; &#1114112; & &amp");
  EXPECT_EQ(XmlDecodeText("x<![CDATA[<raw> &amp;]]>y"), "x<raw> &amp;y");
}

TEST(S3XmlTest, EscapeRoundTrips) {
  const std::string text = "\"etag\" & <tag> 'q'";
  EXPECT_EQ(XmlEscapeText(text), "&quot;etag&quot; &amp; &lt;tag&gt; &apos;q&apos;");
  EXPECT_EQ(XmlDecodeText(XmlEscapeText(text)), text);
}

TEST(S3XmlTest, FindsElementsByExactName) {
  const std::string xml =
      "<?xml version=\"1.0\"?><!-- <Key>comment</Key> --><R xmlns=\"x\"><KeyCount>2</KeyCount>"
      "<Key attr=\"a>b\">first</Key><Empty/><Key >second</Key ><C><![CDATA[</Key>]]></C></R>";
  EXPECT_EQ(XmlFindElement(xml, "Key").value_or("?"), "first");
  EXPECT_EQ(XmlFindElement(xml, "KeyCount").value_or("?"), "2");
  EXPECT_EQ(XmlFindElement(xml, "Empty").value_or("?"), "");
  EXPECT_FALSE(XmlFindElement(xml, "Missing").has_value());
  const auto all = XmlFindAllElements(xml, "Key");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1], "second");
  EXPECT_EQ(XmlElementText(xml, "C"), "</Key>");
}

TEST(S3XmlTest, ToleratesGarbage) {
  for (const char* junk : {"", "<", "<Key", "<Key>unterminated", "<!-- x", "<![CDATA[", "&#",
                           "<Error><Code>X</Error>", "</Key><Key>"}) {
    (void)XmlFindAllElements(junk, "Key");
    EXPECT_FALSE(IsS3ErrorXml(junk)) << junk;
    EXPECT_FALSE(ParseListObjectsV2Xml(junk).ok());
  }
}

TEST(S3XmlTest, ParsesErrors) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The "
      "specified key &quot;a&amp;b&quot; does not exist.</Message><Key>a&amp;b</Key>"
      "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
  EXPECT_TRUE(IsS3ErrorXml(xml));
  const S3ErrorBody error = ParseS3ErrorXml(xml);
  EXPECT_EQ(error.code, "NoSuchKey");
  EXPECT_EQ(error.message, "The specified key \"a&b\" does not exist.");
  EXPECT_EQ(error.request_id, "4442587FB7D0A2F9");
  EXPECT_FALSE(
      IsS3ErrorXml("<CompleteMultipartUploadResult><ETag>x</ETag>"
                   "</CompleteMultipartUploadResult>"));
}

TEST(S3XmlTest, ParsesListBucketResult) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
      "wm36Hy4vbOwM=</NextContinuationToken>"
      "<Contents><Key>p/a&amp;b &lt;1&gt;.txt</Key><LastModified>2009-10-12T17:50:30.000Z"
      "</LastModified><ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size>"
      "<StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>p/\xe6\x97\xa5.md</Key><LastModified>2009-10-12T17:50:31Z</LastModified>"
      "<ETag>&quot;x-2&quot;</ETag><Size>0</Size><Owner><ID>o</ID></Owner></Contents>"
      "<CommonPrefixes><Prefix>p/dir/</Prefix></CommonPrefixes></ListBucketResult>";
  StatusOr<S3ListPage> page = ParseListObjectsV2Xml(xml);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(page->key_count, 2);
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "p/a&b <1>.txt");
  EXPECT_EQ(page->objects[0].size, 434234u);
  EXPECT_EQ(page->objects[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(page->objects[0].storage_class, "STANDARD");
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(
                page->objects[0].last_modified.time_since_epoch())
                .count(),
            1255369830000);
  EXPECT_EQ(page->objects[1].key, "p/\xe6\x97\xa5.md");
  ASSERT_EQ(page->common_prefixes.size(), 1u);
  EXPECT_EQ(page->common_prefixes[0], "p/dir/");
}

TEST(S3XmlTest, DecodesUrlEncodedListingsOnlyWhenTheServerSaysSo) {
  const std::string encoded =
      "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
      "<Contents><Key>a+b%2Bc%0A%E6%97%A5</Key><Size>1</Size></Contents>"
      "<CommonPrefixes><Prefix>d%20e/</Prefix></CommonPrefixes></ListBucketResult>";
  StatusOr<S3ListPage> page = ParseListObjectsV2Xml(encoded);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->objects[0].key, "a b+c\n\xe6\x97\xa5");
  EXPECT_EQ(page->common_prefixes[0], "d e/");
  // Without <EncodingType> (s3rver ignores encoding-type=url) keys are taken literally.
  StatusOr<S3ListPage> literal = ParseListObjectsV2Xml(
      "<ListBucketResult><Contents><Key>a+b%2B</Key><Size>1</Size></Contents></ListBucketResult>");
  ASSERT_TRUE(literal.ok());
  EXPECT_EQ(literal->objects[0].key, "a+b%2B");
}

TEST(S3XmlTest, RejectsListingsThatWouldLoopOrLie) {
  EXPECT_EQ(ParseListObjectsV2Xml("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                  "</ListBucketResult>")
                .status()
                .code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ParseListObjectsV2Xml("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size>"
                                  "</Contents></ListBucketResult>")
                .status()
                .code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ParseListObjectsV2Xml("<Error><Code>AccessDenied</Code></Error>").status().code(),
            StatusCode::kDataLoss);
}

TEST(S3XmlTest, ParsesMultipartResults) {
  EXPECT_EQ(ParseInitiateMultipartUploadXml(
                "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2Fk"
                "&amp;x</UploadId></InitiateMultipartUploadResult>")
                .value(),
            "VXBsb2Fk&x");
  EXPECT_FALSE(ParseInitiateMultipartUploadXml("<InitiateMultipartUploadResult/>").ok());
  EXPECT_EQ(ParseCompleteMultipartUploadXml(
                "<CompleteMultipartUploadResult><Location>l</Location><ETag>&quot;3858f6-9&quot;"
                "</ETag></CompleteMultipartUploadResult>")
                .value(),
            "\"3858f6-9\"");
}

TEST(S3XmlTest, ParsesDates) {
  auto millis = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  EXPECT_EQ(millis(ParseIso8601Utc("2009-10-12T17:50:30.123Z").value()), 1255369830123);
  EXPECT_EQ(millis(ParseIso8601Utc("1970-01-01T00:00:00Z").value()), 0);
  EXPECT_FALSE(ParseIso8601Utc("2009-10-12 17:50:30Z").has_value());
  EXPECT_FALSE(ParseIso8601Utc("2009-13-12T17:50:30Z").has_value());
  EXPECT_FALSE(ParseIso8601Utc("2009-10-12T17:50:30+01:00").has_value());
  EXPECT_EQ(millis(ParseHttpDate("Mon, 12 Oct 2009 17:50:30 GMT").value()), 1255369830000);
  EXPECT_FALSE(ParseHttpDate("Mon, 12 Foo 2009 17:50:30 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Monday, 12-Oct-09 17:50:30 GMT").has_value());
}

}  // namespace
}  // namespace ragd
