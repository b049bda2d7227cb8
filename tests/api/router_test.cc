#include "api/router.h"

#include <gtest/gtest.h>

namespace ragd {
namespace {

Route R(const char* method, const char* pattern) {
  Route r;
  r.method = method;
  r.pattern = pattern;
  r.access = Access::kPublic;
  return r;
}

TEST(RouterTest, MatchesLiteralsCapturesAndRest) {
  Router router;
  router.Add(R("GET", "/v1/keys"));
  router.Add(R("DELETE", "/v1/keys/{id}"));
  router.Add(R("PUT", "/{bucket}/{key+}"));
  std::map<std::string, std::string> params;

  auto m = router.Find("GET", "/v1/keys", &params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/keys");

  m = router.Find("DELETE", "/v1/keys/ab%20c", &params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(params["id"], "ab c");

  m = router.Find("PUT", "/uploads/docs/2026/a%2Bb%20c.pdf", &params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(params["bucket"], "uploads");
  EXPECT_EQ(params["key"], "docs/2026/a+b c.pdf");

  EXPECT_EQ(router.Find("PUT", "/uploads", &params).route, nullptr);
  EXPECT_EQ(router.Find("PUT", "/uploads/", &params).route, nullptr);
}

TEST(RouterTest, WrongMethodIsReportedAndHeadUsesGet) {
  Router router;
  router.Add(R("GET", "/v1/keys"));
  auto m = router.Find("POST", "/v1/keys", nullptr);
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.method_mismatch);
  EXPECT_NE(router.Find("HEAD", "/v1/keys", nullptr).route, nullptr);
  m = router.Find("GET", "/v1/nope", nullptr);
  EXPECT_EQ(m.route, nullptr);
  EXPECT_FALSE(m.method_mismatch);
}

TEST(RouterTest, SegmentCountsAndEmptySegmentsMustMatch) {
  Router router;
  router.Add(R("GET", "/health"));
  router.Add(R("GET", "/v1/keys/{id}"));
  router.Add(R("PUT", "/{bucket}/{key+}"));
  std::map<std::string, std::string> params = {{"stale", "x"}};
  EXPECT_NE(router.Find("GET", "/health", &params).route, nullptr);
  EXPECT_TRUE(params.empty());  // replaced on a match
  EXPECT_EQ(router.Find("GET", "/health/", nullptr).route, nullptr);
  EXPECT_EQ(router.Find("GET", "/healthz", nullptr).route, nullptr);
  EXPECT_EQ(router.Find("GET", "/v1/keys/", nullptr).route, nullptr);  // empty capture
  EXPECT_EQ(router.Find("GET", "/v1/keys/a/b", nullptr).route, nullptr);
  EXPECT_EQ(router.Find("GET", "/", nullptr).route, nullptr);
  EXPECT_EQ(router.Find("GET", "health", nullptr).route, nullptr);
  auto m = router.Find("PUT", "/b//x/y%2F", &params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(params["bucket"], "b");
  EXPECT_EQ(params["key"], "/x/y/");
  m = router.Find("GET", "/v1/keys/k1", &params);
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(params.size(), 1u);
  EXPECT_EQ(params["id"], "k1");
}

}  // namespace
}  // namespace ragd
