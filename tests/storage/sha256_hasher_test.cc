#include "storage/sha256_hasher.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "storage/storage_test_files.h"
#include "testing/test_env.h"

namespace timestore::storage {
namespace {

using common::StatusCode;

TEST(Sha256Test, HexOfKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalUpdatesEqualOneShot) {
  const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256Hasher hasher;
  for (size_t i = 0; i < text.size(); i += 7) hasher.Update(std::string_view(text).substr(i, 7));
  EXPECT_EQ(hasher.FinishHex(), Sha256Hex(text));
  EXPECT_EQ(Sha256Hex(text), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, FileOfSeveralMiBHashesLikeItsContents) {
  testing::TempDir dir;
  std::string bytes(5 * 1024 * 1024 + 123, '\0');
  std::mt19937 rng(7);
  for (char& c : bytes) c = static_cast<char>(rng());
  const auto path = dir.path() / "big.bin";
  WriteFile(path, bytes);
  auto digest = Sha256File(path.string());
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, Sha256Hex(bytes));
  EXPECT_EQ(digest->size(), 64u);
}

TEST(Sha256Test, FileThatDoesNotExistIsNotFound) {
  testing::TempDir dir;
  auto digest = Sha256File((dir.path() / "missing").string());
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.status().code(), StatusCode::kNotFound);
}

TEST(Sha256Test, IsSha256HexAcceptsBothCasesAndRejectsOtherText) {
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("x")));
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'F')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'g')));
  EXPECT_FALSE(IsSha256Hex(""));
}

}  // namespace
}  // namespace timestore::storage
