#include "common/json_writer.h"

#include <limits>

#include <gtest/gtest.h>

namespace timestore::common {
namespace {

TEST(JsonWriterTest, WritesNestedContainersWithCommas) {
  JsonWriter w;
  w.BeginObject()
      .Key("a")
      .Int(-3)
      .Key("b")
      .BeginArray()
      .Bool(true)
      .Null()
      .Double(1.5)
      .Uint(7)
      .EndArray()
      .Key("c")
      .BeginObject()
      .EndObject()
      .Key("d")
      .String("x")
      .EndObject();
  EXPECT_EQ(w.str(), R"({"a":-3,"b":[true,null,1.5,7],"c":{},"d":"x"})");
}

TEST(JsonWriterTest, EscapesControlCharactersQuotesAndInvalidUtf8) {
  std::string out;
  AppendJsonString(out, std::string("q\"b\\n\n\x01t\t", 9));
  EXPECT_EQ(out, R"("q\"b\\n\n\u0001t\t")");
  out.clear();
  AppendJsonString(out,
                   "caf\xC3\xA9 \xFF \xE2\x82");  // é kept, 0xFF and a truncated sequence replaced
  EXPECT_EQ(out, "\"caf\xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonWriterTest, NonFiniteDoublesBecomeNullAndDoublesRoundTrip) {
  JsonWriter w;
  w.BeginArray()
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .Double(0.1)
      .Double(1e300)
      .EndArray();
  EXPECT_EQ(w.str(), "[null,null,0.1,1e+300]");
}

TEST(JsonWriterTest, TakeBufferDrainsButKeepsNesting) {
  JsonWriter w;
  w.BeginArray().Int(1);
  EXPECT_EQ(w.TakeBuffer(), "[1");
  w.Int(2).EndArray();
  EXPECT_EQ(w.str(), ",2]");
}

}  // namespace
}  // namespace timestore::common
