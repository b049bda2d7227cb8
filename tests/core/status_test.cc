#include "core/status.h"

#include <gtest/gtest.h>

namespace ragd {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  RAGD_ASSIGN_OR_RETURN(int half, Half(x));
  RAGD_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusTest, PropagatesThroughMacros) {
  EXPECT_EQ(*Quarter(8), 2);
  StatusOr<int> bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().ToString(), "INVALID_ARGUMENT: odd");
}

TEST(StatusTest, KindsRefineCodes) {
  EXPECT_EQ(TooLargeError("x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(TooLargeError("x").kind(), ErrorKind::kTooLarge);
  Status s = UnprocessableError("generation.temperature", "must be between 0 and 1");
  EXPECT_EQ(s.kind(), ErrorKind::kUnprocessable);
  EXPECT_EQ(s.message(), "generation.temperature: must be between 0 and 1");
  EXPECT_EQ(s.WithContext("bot demo").message(),
            "bot demo: generation.temperature: must be between 0 and 1");
  EXPECT_EQ(s.WithContext("x").kind(), ErrorKind::kUnprocessable);
}

TEST(StatusTest, OkStatusInStatusOrBecomesInternal) {
  StatusOr<int> v = OkStatus();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace ragd
