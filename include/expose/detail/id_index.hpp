#pragma once
// An index of ids that holds the ids alone (4 bytes a slot) and is looked up by the key an id
// stands for, made again from the id when needed: for keys that already live elsewhere (a flow
// table's flows, a group's first flow), so the index does not hold them a second time.
//
//   auto index = detail::make_id_index<flow_key, flow_key_hash>(key_of);  // key_of(id) -> flow_key
//   if (auto it = index.find(key); it != index.end()) use(*it); else index.insert(new_id);

#include <cstddef>
#include <cstdint>

#include <boost/unordered/unordered_flat_set.hpp>

namespace expose::detail {

/// Hash and equality that see an id as its key, `key_of(id)`. `Hash` must be avalanching (declare
/// `is_avalanching`), as the project's key hashes are.
template <class Key, class Hash, class KeyOf>
struct id_hash {
  using is_transparent = void;
  using is_avalanching = typename Hash::is_avalanching;
  KeyOf key_of;
  [[nodiscard]] std::size_t operator()(std::uint32_t id) const noexcept { return Hash{}(key_of(id)); }
  [[nodiscard]] std::size_t operator()(const Key& k) const noexcept { return Hash{}(k); }
};
template <class Key, class KeyOf>
struct id_equal {
  using is_transparent = void;
  KeyOf key_of;
  [[nodiscard]] bool operator()(std::uint32_t a, std::uint32_t b) const noexcept { return a == b; }
  [[nodiscard]] bool operator()(std::uint32_t id, const Key& k) const noexcept { return key_of(id) == k; }
  [[nodiscard]] bool operator()(const Key& k, std::uint32_t id) const noexcept { return key_of(id) == k; }
};

template <class Key, class Hash, class KeyOf>
using id_index = boost::unordered_flat_set<std::uint32_t, id_hash<Key, Hash, KeyOf>, id_equal<Key, KeyOf>>;

/// An empty index whose ids stand for `key_of(id)`; `key_of` must stay callable (and copyable:
/// keep what it reads behind a pointer) as long as the index lives.
template <class Key, class Hash, class KeyOf>
[[nodiscard]] id_index<Key, Hash, KeyOf> make_id_index(KeyOf key_of) {
  return id_index<Key, Hash, KeyOf>(0, id_hash<Key, Hash, KeyOf>{key_of}, id_equal<Key, KeyOf>{key_of});
}

}  // namespace expose::detail
