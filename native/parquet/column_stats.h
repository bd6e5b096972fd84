// Per-batch column statistics for the native codec's writer: the same values src/arrow/stats.ts takes
// (protocol 10.4), computed over the batch Arrow C++ has already decoded, so an upload's batches are not
// scanned a second time in JavaScript. The result is raw JSON that `statsFromRaw()` (src/arrow/stats.ts)
// turns into ColumnStats with the very rules of the JavaScript scan; this file only finds extremes:
// - leaf columns depth-first, struct children joined with "."; nothing below a list;
// - a row whose parent struct is null is null for every child; `n` (has nulls) is set when the column or
//   any ancestor has a null in the batch;
// - "f": int8–uint32, float16/32/64 as doubles (NaN counted in `x`, never compared), printed so that
//   JavaScript's Number() reads back the same double; "i"/"u": int64/uint64 exact; "t": date, time and
//   timestamp raw values exact; "b": booleans as 0/1; "s": utf8/large_utf8 by UTF-8 bytes.
// `lo`/`hi` are absent when no valid (non-NaN) value exists.
#pragma once

#include <arrow/api.h>
#include <arrow/util/float16.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mosaicod_stats {

// Row validity, 1 = valid; null = every row valid.
using Mask = std::shared_ptr<std::vector<uint8_t>>;

inline Mask Combine(const Mask& parent, const arrow::Array& array) {
  if (array.null_count() <= 0 || array.null_bitmap_data() == nullptr) return parent;
  const int64_t n = array.length();
  auto mask = std::make_shared<std::vector<uint8_t>>(n, 1);
  if (parent) {
    for (int64_t i = 0; i < n && i < static_cast<int64_t>(parent->size()); i++) (*mask)[i] = (*parent)[i];
  }
  for (int64_t i = 0; i < n; i++) {
    if (array.IsNull(i)) (*mask)[i] = 0;
  }
  return mask;
}

inline void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out->append(escaped);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

inline std::string DoubleText(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

class BatchStats {
 public:
  // Statistics of every leaf of `batch`, as a JSON array.
  std::string Of(const arrow::RecordBatch& batch) {
    json_ = "[";
    for (int c = 0; c < batch.num_columns(); c++) {
      Visit(batch.schema()->field(c)->name(), *batch.column(c), nullptr);
    }
    json_ += "]";
    return std::move(json_);
  }

 private:
  std::string json_;

  void Entry(const std::string& column, const char* kind, bool has_null, bool has_nan, const std::string* lo,
             const std::string* hi) {
    if (json_.size() > 1) json_ += ",";
    json_ += "{\"c\":";
    AppendJsonString(&json_, column);
    json_ += ",\"k\":\"";
    json_ += kind;
    json_ += "\",\"n\":";
    json_ += has_null ? "1" : "0";
    json_ += ",\"x\":";
    json_ += has_nan ? "1" : "0";
    if (lo != nullptr) {
      json_ += ",\"lo\":";
      AppendJsonString(&json_, *lo);
      json_ += ",\"hi\":";
      AppendJsonString(&json_, *hi);
    }
    json_ += "}";
  }

  // `v < min` and `v > max` in row order, as the JavaScript scan compares (the first of equal values,
  // e.g. 0 and -0, stays); a loop without the mask where no row is null.
  template <typename Get>
  void Doubles(const std::string& column, int64_t n, const Mask& mask, Get get) {
    double min = INFINITY, max = -INFINITY;
    int64_t count = 0, nans = 0;
    auto one = [&](double v) {
      if (v != v) {
        nans++;
        return;
      }
      count++;
      if (v < min) min = v;
      if (v > max) max = v;
    };
    if (mask) {
      const uint8_t* valid = mask->data();
      for (int64_t i = 0; i < n; i++) {
        if (valid[i] != 0) one(get(i));
      }
    } else if (!Lanes(n, get, &min, &max, &count, &nans)) {
      for (int64_t i = 0; i < n; i++) one(get(i));
    }
    if (count == 0) {
      Entry(column, "f", mask != nullptr, nans > 0, nullptr, nullptr);
    } else {
      const auto lo = DoubleText(min), hi = DoubleText(max);
      Entry(column, "f", mask != nullptr, nans > 0, &lo, &hi);
    }
  }

  // The scan without a mask in four independent lanes (branch-free `v < m ? v : m`, which NaN never
  // wins): the same extremes as the row-order scan unless one is a zero, where -0 and 0 tie and the
  // first one seen must win; then it answers false and the caller scans in row order.
  template <typename Get>
  static bool Lanes(int64_t n, Get get, double* min, double* max, int64_t* count, int64_t* nans) {
    double lo[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
    double hi[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    int64_t nan[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int k = 0; k < 4; k++) {
        const double v = get(i + k);
        nan[k] += v != v;
        lo[k] = v < lo[k] ? v : lo[k];
        hi[k] = v > hi[k] ? v : hi[k];
      }
    }
    for (; i < n; i++) {
      const double v = get(i);
      nan[0] += v != v;
      lo[0] = v < lo[0] ? v : lo[0];
      hi[0] = v > hi[0] ? v : hi[0];
    }
    double l = lo[0], h = hi[0];
    for (int k = 1; k < 4; k++) {
      l = lo[k] < l ? lo[k] : l;
      h = hi[k] > h ? hi[k] : h;
    }
    if (l == 0 || h == 0) return false;
    *nans = nan[0] + nan[1] + nan[2] + nan[3];
    *count = n - *nans;
    *min = l;
    *max = h;
    return true;
  }

  template <typename T>
  void Exact(const std::string& column, const char* kind, const T* values, int64_t n, const Mask& mask) {
    bool any = false;
    T min{}, max{};
    for (int64_t i = 0; i < n; i++) {
      if (mask && (*mask)[i] == 0) continue;
      const T v = values[i];
      if (!any || v < min) min = v;
      if (!any || v > max) max = v;
      any = true;
    }
    if (!any) {
      Entry(column, kind, mask != nullptr, false, nullptr, nullptr);
    } else {
      const auto lo = std::to_string(min), hi = std::to_string(max);
      Entry(column, kind, mask != nullptr, false, &lo, &hi);
    }
  }

  // A text value with its first 8 bytes as a big-endian number (zero padded): a different prefix orders
  // two values as their bytes do; only equal prefixes need the bytes compared (for values of 8 bytes or
  // fewer, the shorter one is then the smaller).
  struct Key {
    uint64_t prefix;
    std::string_view bytes;
    explicit Key(std::string_view v) : prefix(0), bytes(v) {
      std::memcpy(&prefix, v.data(), v.size() < 8 ? v.size() : 8);
      prefix = __builtin_bswap64(prefix);
    }
  };

  static int Compare(const Key& a, const Key& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix ? -1 : 1;
    if (a.bytes.size() <= 8 && b.bytes.size() <= 8) {
      return a.bytes.size() == b.bytes.size() ? 0 : a.bytes.size() < b.bytes.size() ? -1 : 1;
    }
    return a.bytes.compare(b.bytes);  // std::string_view orders bytes as unsigned: UTF-8 byte order
  }

  template <typename Offset>
  void Text(const std::string& column, const arrow::BaseBinaryArray<Offset>& array, const Mask& mask) {
    bool any = false;
    Key min{std::string_view()}, max{std::string_view()};
    for (int64_t i = 0; i < array.length(); i++) {
      if (mask && (*mask)[i] == 0) continue;
      const Key v(array.GetView(i));
      if (!any) {
        min = max = v;
        any = true;
      } else if (Compare(v, min) < 0) {
        min = v;
      } else if (Compare(v, max) > 0) {
        max = v;
      }
    }
    if (!any) {
      Entry(column, "s", mask != nullptr, false, nullptr, nullptr);
    } else {
      const std::string lo(min.bytes), hi(max.bytes);
      Entry(column, "s", mask != nullptr, false, &lo, &hi);
    }
  }

  void Visit(const std::string& column, const arrow::Array& array, const Mask& parent) {
    const Mask mask = Combine(parent, array);
    const int64_t n = array.length();
    switch (array.type_id()) {
      case arrow::Type::STRUCT: {
        const auto& s = static_cast<const arrow::StructArray&>(array);
        for (int c = 0; c < s.num_fields(); c++) {
          Visit(column + "." + s.struct_type()->field(c)->name(), *s.field(c), mask);
        }
        return;
      }
      case arrow::Type::DATE32:
      case arrow::Type::TIME32:
        return Exact(column, "t", static_cast<const arrow::Int32Array&>(array).raw_values(), n, mask);
      case arrow::Type::DATE64:
      case arrow::Type::TIME64:
      case arrow::Type::TIMESTAMP:
        return Exact(column, "t", static_cast<const arrow::Int64Array&>(array).raw_values(), n, mask);
      case arrow::Type::INT64:
        return Exact(column, "i", static_cast<const arrow::Int64Array&>(array).raw_values(), n, mask);
      case arrow::Type::UINT64:
        return Exact(column, "u", static_cast<const arrow::UInt64Array&>(array).raw_values(), n, mask);
      case arrow::Type::INT8:
        return Ints<arrow::Int8Array>(column, array, mask);
      case arrow::Type::INT16:
        return Ints<arrow::Int16Array>(column, array, mask);
      case arrow::Type::INT32:
        return Ints<arrow::Int32Array>(column, array, mask);
      case arrow::Type::UINT8:
        return Ints<arrow::UInt8Array>(column, array, mask);
      case arrow::Type::UINT16:
        return Ints<arrow::UInt16Array>(column, array, mask);
      case arrow::Type::UINT32:
        return Ints<arrow::UInt32Array>(column, array, mask);
      case arrow::Type::HALF_FLOAT: {
        const auto* bits = static_cast<const arrow::HalfFloatArray&>(array).raw_values();
        return Doubles(column, n, mask, [&](int64_t i) { return arrow::util::Float16::FromBits(bits[i]).ToDouble(); });
      }
      case arrow::Type::FLOAT: {
        const auto* v = static_cast<const arrow::FloatArray&>(array).raw_values();
        return Doubles(column, n, mask, [&](int64_t i) { return static_cast<double>(v[i]); });
      }
      case arrow::Type::DOUBLE: {
        const auto* v = static_cast<const arrow::DoubleArray&>(array).raw_values();
        return Doubles(column, n, mask, [&](int64_t i) { return v[i]; });
      }
      case arrow::Type::BOOL: {
        const auto& b = static_cast<const arrow::BooleanArray&>(array);
        bool any_true = false, any_false = false;
        for (int64_t i = 0; i < n && !(any_true && any_false); i++) {
          if (mask && (*mask)[i] == 0) continue;
          if (b.Value(i)) any_true = true;
          else any_false = true;
        }
        const std::string zero = "0", one = "1";
        if (!any_true && !any_false) return Entry(column, "b", mask != nullptr, false, nullptr, nullptr);
        return Entry(column, "b", mask != nullptr, false, any_false ? &zero : &one, any_true ? &one : &zero);
      }
      case arrow::Type::STRING:
        return Text(column, static_cast<const arrow::StringArray&>(array), mask);
      case arrow::Type::LARGE_STRING:
        return Text(column, static_cast<const arrow::LargeStringArray&>(array), mask);
      default:
        return;  // binary, lists, maps, unions, dictionaries…: no statistics
    }
  }

  template <typename A>
  void Ints(const std::string& column, const arrow::Array& array, const Mask& mask) {
    const auto* v = static_cast<const A&>(array).raw_values();
    Doubles(column, array.length(), mask, [&](int64_t i) { return static_cast<double>(v[i]); });
  }
};

}  // namespace mosaicod_stats
