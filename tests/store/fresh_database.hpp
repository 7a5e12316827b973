#pragma once
// A path for a test's SQLite file in the system's temporary folder, with whatever an earlier run
// left there (the file and its -wal, -shm and -journal companions) removed.

#include <filesystem>
#include <string>

inline std::filesystem::path fresh(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "expose-store-test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path p = dir / name;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(p.string() + suffix);
  return p;
}
